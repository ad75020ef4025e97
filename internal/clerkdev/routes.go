package clerkdev

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// routes lists every route of the emulator in one place.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	// Backend API: secret key required, counted in Stats.
	s.bapi(mux, "GET /v1/jwks", s.getJWKS)
	s.bapi(mux, "GET /v1/users", s.listUsers)
	s.bapi(mux, "GET /v1/users/count", s.countUsers)
	s.bapi(mux, "POST /v1/users", s.createUser)
	s.bapi(mux, "GET /v1/users/{id}", s.getUser)
	s.bapi(mux, "PATCH /v1/users/{id}", s.updateUser)
	s.bapi(mux, "DELETE /v1/users/{id}", s.deleteUser)
	s.bapi(mux, "PATCH /v1/users/{id}/metadata", s.mergeUserMetadata)
	s.bapi(mux, "PUT /v1/users/{id}/metadata", s.replaceUserMetadata)
	s.bapi(mux, "GET /v1/users/{id}/organization_memberships", s.listUserMemberships)
	s.bapi(mux, "GET /v1/users/{id}/organization_invitations", s.listUserInvitations)
	s.bapi(mux, "GET /v1/organizations", s.listOrgs)
	s.bapi(mux, "POST /v1/organizations", s.createOrg)
	s.bapi(mux, "GET /v1/organizations/{id}", s.getOrg)
	s.bapi(mux, "PATCH /v1/organizations/{id}", s.updateOrg)
	s.bapi(mux, "DELETE /v1/organizations/{id}", s.deleteOrg)
	s.bapi(mux, "PATCH /v1/organizations/{id}/metadata", s.mergeOrgMetadata)
	s.bapi(mux, "PUT /v1/organizations/{id}/metadata", s.replaceOrgMetadata)
	s.bapi(mux, "GET /v1/organizations/{id}/memberships", s.listMemberships)
	s.bapi(mux, "POST /v1/organizations/{id}/memberships", s.createMembership)
	s.bapi(mux, "PATCH /v1/organizations/{id}/memberships/{user_id}", s.updateMembership)
	s.bapi(mux, "DELETE /v1/organizations/{id}/memberships/{user_id}", s.deleteMembership)
	s.bapi(mux, "GET /v1/organizations/{id}/invitations", s.listInvitations)
	s.bapi(mux, "POST /v1/organizations/{id}/invitations", s.createInvitation)
	s.bapi(mux, "GET /v1/organizations/{id}/invitations/{inv}", s.getInvitation)
	s.bapi(mux, "POST /v1/organizations/{id}/invitations/{inv}/revoke", s.revokeInvitation)
	s.bapi(mux, "GET /v1/organizations/{id}/domains", s.listDomains)
	s.bapi(mux, "POST /v1/organizations/{id}/domains", s.createDomain)
	s.bapi(mux, "PATCH /v1/organizations/{id}/domains/{domain_id}", s.updateDomain)
	s.bapi(mux, "DELETE /v1/organizations/{id}/domains/{domain_id}", s.deleteDomain)
	s.bapi(mux, "GET /v1/organization_invitations", s.listInstanceInvitations)
	s.bapi(mux, "GET /v1/invitations", s.listAppInvitations)
	s.bapi(mux, "POST /v1/invitations", s.createAppInvitation)
	s.bapi(mux, "POST /v1/invitations/bulk", s.createAppInvitations)
	s.bapi(mux, "POST /v1/invitations/{id}/revoke", s.revokeAppInvitation)
	s.bapi(mux, "GET /v1/sessions", s.listSessions)
	s.bapi(mux, "POST /v1/sessions", s.createSession)
	s.bapi(mux, "GET /v1/sessions/{id}", s.getSession)
	s.bapi(mux, "POST /v1/sessions/{id}/revoke", s.revokeSession)
	s.bapi(mux, "POST /v1/sessions/{id}/tokens", s.createSessionToken)
	s.bapi(mux, "POST /v1/sessions/{id}/tokens/{template}", s.createTemplateToken)
	s.bapi(mux, "GET /v1/jwt_templates", s.listJWTTemplates)
	s.bapi(mux, "GET /v1/jwt_templates/{id}", s.getJWTTemplate)
	s.bapi(mux, "GET /v1/clients/handshake_payload", s.handshakePayload)
	s.roleRoutes(mux) // organization roles and permissions (role_routes.go)
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, errNotFound("route "+r.Method+" "+r.URL.Path))
	})

	// Frontend API (public).
	mux.HandleFunc("GET /v1/client/handshake", s.handshake)
	mux.HandleFunc("GET /v1/tickets/accept", s.acceptTicket)
	mux.HandleFunc("GET /.well-known/jwks.json", s.getJWKS)

	// Account Portal pages (public, no JavaScript).
	mux.HandleFunc("GET /sign-in", s.showPortal("sign-in"))
	mux.HandleFunc("POST /sign-in", s.portalPost(s.signIn, s.signInWithTicket))
	mux.HandleFunc("GET /sign-up", s.showPortal("sign-up"))
	mux.HandleFunc("POST /sign-up", s.portalPost(s.signUp, s.signUpWithTicket))
	mux.HandleFunc("GET /sign-out", s.showSignOut)
	mux.HandleFunc("POST /sign-out", s.signOut)
	mux.HandleFunc("GET "+accountPath, s.showAccount)
	mux.HandleFunc("POST "+accountPath, s.accountPost(s.renameLocked, s.renamed))
	mux.HandleFunc("POST "+accountPath+"/sign-out-all", s.accountPost(s.revokeAllLocked, s.signedOutEverywhere))
	mux.HandleFunc("GET /__clerkdev/sso/{connection}", s.showSSO)
	mux.HandleFunc("POST /__clerkdev/sso/{connection}", s.signInSSO)
	mux.HandleFunc("GET /{$}", s.index)

	// Emulator extras (public, not counted).
	mux.HandleFunc("GET /__clerkdev/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("GET /__clerkdev/deliveries", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Deliveries())
	})
	mux.HandleFunc("GET /__clerkdev/emails", s.showEmails)
	mux.HandleFunc("GET /__clerkdev/style.css", s.stylesheet)
	mux.HandleFunc("GET /__clerkdev/favicon.svg", s.favicon)
	mux.HandleFunc("GET /favicon.ico", s.favicon) // browsers ask for it on every page
	mux.HandleFunc("GET /__clerkdev/img/{file}", s.avatar)
	return mux
}

// bapi registers a Backend API route: it counts the call under its pattern, then
// requires "Authorization: Bearer <secret key>" (401 authorization_header_format_invalid
// without it, 401 clerk_key_invalid for another key, as Clerk answers).
func (s *Server) bapi(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.stats[pattern]++
		s.mu.Unlock()
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			writeAPIError(w, errAuthHeaderInvalid())
			return
		}
		if subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.SecretKey)) != 1 {
			writeAPIError(w, errClerkKeyInvalid())
			return
		}
		h(w, r)
	})
}
