package clerkdev

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Enterprise connections: per-domain SSO, as Clerk's enterprise connections (SAML or
// OIDC) give it. The seed declares them (SeedConnection); the Backend API has no
// route for them here.
//
// On the hosted pages, an email address at a connection's domain never uses a password:
// the sign-in and the sign-up send the browser to the emulator's own identity-provider
// page (GET /__clerkdev/sso/{connection_id}), which stands in for Okta or Entra ID: it
// shows the provider's name and asks for a name, and "Sign in" there signs the person
// in, creating the user on the first visit, then goes back to the app as any sign-in
// does. The user carries an enterprise account (enterprise_accounts in Clerk's shape,
// with its enterprise_connection) in the Backend API and in user.created/user.updated,
// has no password, and its email address says matches_sso_connection. A sign-in with a
// password for such an address is refused with Clerk's error for a strategy the
// account cannot use (strategy_for_user_invalid), as when SSO is enforced for a domain.

// Protocols of enterprise connections, as Clerk names them.
const (
	protocolSAML = "saml"
	protocolOIDC = "oauth"
)

// connection is one enterprise connection.
type connection struct {
	ID        string
	Name      string // the provider's display name, such as "Initech Okta"
	Domain    string // lower case
	Protocol  string // protocolSAML or protocolOIDC
	Provider  string // saml_okta, saml_microsoft, saml_custom, oidc_custom…
	CreatedAt int64
}

// enterpriseAccount links a user to a connection.
type enterpriseAccount struct {
	ID                  string
	ConnectionID        string
	Email               string
	FirstName           *string
	LastName            *string
	ProviderUserID      string
	LastAuthenticatedAt int64
}

// SeedConnection is an enterprise connection of the seed: Name is the provider's display
// name, Domain the email domain it signs in, Protocol "saml" (default) or "oidc", and
// Provider Clerk's provider key (default saml_custom, or oidc_custom for OIDC).
type SeedConnection struct {
	Name     string `json:"name"`
	Domain   string `json:"domain"`
	Protocol string `json:"protocol,omitempty"`
	Provider string `json:"provider,omitempty"`
}

// loadConnectionsLocked creates the seed's enterprise connections.
func (s *Server) loadConnectionsLocked(seed []SeedConnection) error {
	for _, sc := range seed {
		domain := strings.ToLower(strings.TrimSpace(sc.Domain))
		c := &connection{Name: sc.Name, Domain: domain, Provider: sc.Provider}
		switch sc.Protocol {
		case "", protocolSAML:
			c.Protocol, c.ID = protocolSAML, seedID("samlc", domain)
			if c.Provider == "" {
				c.Provider = "saml_custom"
			}
		case "oidc", protocolOIDC:
			c.Protocol, c.ID = protocolOIDC, seedID("oidcc", domain)
			if c.Provider == "" {
				c.Provider = "oidc_custom"
			}
		default:
			return fmt.Errorf("clerkdev: seed enterprise connection %q: protocol %q is neither saml nor oidc", sc.Name, sc.Protocol)
		}
		if sc.Name == "" || !validDomain.MatchString(domain) || s.connectionForLocked("x@"+domain) != nil {
			return fmt.Errorf("clerkdev: seed enterprise connection %q: missing name, invalid or duplicate domain %q", sc.Name, sc.Domain)
		}
		c.CreatedAt = s.stampLocked()
		s.connections[c.ID] = c
	}
	return nil
}

// connectionForLocked is the enterprise connection of email's domain, or nil.
func (s *Server) connectionForLocked(email string) *connection {
	d := emailDomain(strings.TrimSpace(email))
	for _, c := range s.connections {
		if d != "" && c.Domain == d {
			return c
		}
	}
	return nil
}

// enterpriseConnectionJSON is Clerk's enterprise_connection, as an enterprise account
// carries it.
type enterpriseConnectionJSON struct {
	ID                               string  `json:"id"`
	Protocol                         string  `json:"protocol"`
	Provider                         string  `json:"provider"`
	Name                             string  `json:"name"`
	LogoPublicURL                    *string `json:"logo_public_url"`
	Domain                           string  `json:"domain"`
	Active                           bool    `json:"active"`
	SyncUserAttributes               bool    `json:"sync_user_attributes"`
	AllowSubdomains                  bool    `json:"allow_subdomains"`
	AllowIDPInitiated                bool    `json:"allow_idp_initiated"`
	DisableAdditionalIdentifications bool    `json:"disable_additional_identifications"`
	CreatedAt                        int64   `json:"created_at"`
	UpdatedAt                        int64   `json:"updated_at"`
}

// enterpriseAccountJSON is Clerk's enterprise_account object.
type enterpriseAccountJSON struct {
	ID                     string                    `json:"id"`
	Object                 string                    `json:"object"`
	Protocol               string                    `json:"protocol"`
	Provider               string                    `json:"provider"`
	Active                 bool                      `json:"active"`
	EmailAddress           string                    `json:"email_address"`
	FirstName              *string                   `json:"first_name"`
	LastName               *string                   `json:"last_name"`
	ProviderUserID         string                    `json:"provider_user_id"`
	PublicMetadata         map[string]any            `json:"public_metadata"`
	Verification           verificationJSON          `json:"verification"`
	EnterpriseConnectionID string                    `json:"enterprise_connection_id"`
	EnterpriseConnection   *enterpriseConnectionJSON `json:"enterprise_connection"`
	LastAuthenticatedAt    int64                     `json:"last_authenticated_at"`
}

func (s *Server) enterpriseAccountsJSONLocked(u *user) []any {
	out := []any{}
	for _, a := range u.EnterpriseAccounts {
		c := s.connections[a.ConnectionID]
		if c == nil {
			continue
		}
		strategy := "saml"
		if c.Protocol == protocolOIDC {
			strategy = "oauth_" + c.Provider
		}
		out = append(out, enterpriseAccountJSON{
			ID: a.ID, Object: "enterprise_account", Protocol: c.Protocol, Provider: c.Provider, Active: true,
			EmailAddress: a.Email, FirstName: a.FirstName, LastName: a.LastName, ProviderUserID: a.ProviderUserID,
			PublicMetadata: map[string]any{}, Verification: verificationJSON{Status: "verified", Strategy: strategy},
			EnterpriseConnectionID: c.ID,
			EnterpriseConnection: &enterpriseConnectionJSON{ID: c.ID, Protocol: c.Protocol, Provider: c.Provider,
				Name: c.Name, Domain: c.Domain, Active: true, SyncUserAttributes: true, CreatedAt: c.CreatedAt, UpdatedAt: c.CreatedAt},
			LastAuthenticatedAt: a.LastAuthenticatedAt,
		})
	}
	return out
}

// errStrategyForUser is the Frontend API's refusal of a first factor the account cannot
// use, such as a password where its domain signs in with SSO.
func errStrategyForUser() *apiError {
	return withParam(newAPIError(http.StatusUnprocessableEntity, "strategy_for_user_invalid", "Invalid verification strategy",
		"The verification strategy is not valid for this account"), "strategy")
}

// ssoRedirect sends the browser of a hosted page to c's identity-provider page for email.
func (s *Server) ssoRedirect(w http.ResponseWriter, r *http.Request, c *connection, email, redirect, db string) {
	q := url.Values{"email": {email}, "__clerk_db_jwt": {db}}
	if redirect != "" {
		q.Set("redirect_url", redirect)
	}
	http.Redirect(w, r, "/__clerkdev/sso/"+c.ID+"?"+q.Encode(), http.StatusSeeOther)
}

// ssoPage looks up the connection of the request and checks its email and redirect_url;
// it answers a bad request itself (ok false).
func (s *Server) ssoPage(w http.ResponseWriter, r *http.Request, email, redirect string) (c *connection, ok bool) {
	if _, bad := s.checkRedirect(redirect, true); bad != nil {
		s.badRedirect(w, bad)
		return nil, false
	}
	s.mu.Lock()
	c = s.connections[r.PathValue("connection")]
	s.mu.Unlock()
	if c == nil || !validEmail(email) || emailDomain(email) != c.Domain {
		s.renderPage(w, http.StatusNotFound, pageData{Title: "Unknown identity provider", Mode: "done",
			Error: "No enterprise connection here signs in that email address."})
		return nil, false
	}
	return c, true
}

// showSSO serves GET /__clerkdev/sso/{connection}: the stand-in identity provider's
// sign-in page.
func (s *Server) showSSO(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	email, redirect := strings.TrimSpace(q.Get("email")), q.Get("redirect_url")
	c, ok := s.ssoPage(w, r, email, redirect)
	if !ok {
		return
	}
	d := pageData{Title: "Sign in to " + c.Name, Mode: "sso", Provider: c.Name, ConnectionID: c.ID,
		Identifier: email, RedirectURL: redirect, DevBrowser: q.Get("__clerk_db_jwt")}
	s.mu.Lock()
	if u := s.userByEmailLocked(email); u != nil {
		d.FirstName, d.LastName = derefStr(u.FirstName), derefStr(u.LastName)
	}
	s.mu.Unlock()
	s.renderPage(w, http.StatusOK, d)
}

// signInSSO handles POST /__clerkdev/sso/{connection}: the identity provider vouches for
// the address; the user is created on its first visit (user.created with its enterprise
// account) or linked (user.updated), then signed in as from the hosted pages.
func (s *Server) signInSSO(w http.ResponseWriter, r *http.Request) {
	redirect, ok := s.parsePortalForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	email := strings.TrimSpace(f.Get("email"))
	c, ok := s.ssoPage(w, r, email, redirect)
	if !ok {
		return
	}
	first, last := strings.TrimSpace(f.Get("first_name")), strings.TrimSpace(f.Get("last_name"))
	src := requestInfo(r)
	s.mu.Lock()
	cl := s.clientForLocked(r, f.Get("__clerk_db_jwt"))
	u := s.userByEmailLocked(email)
	var e *apiError
	if u == nil {
		in := userInput{EmailAddresses: []string{email}, FirstName: strPtr(first), LastName: strPtr(last),
			enterprise: &enterpriseAccount{ConnectionID: c.ID}}
		u, e = s.signUpUserLocked(in, src)
	} else {
		s.linkEnterpriseLocked(u, c, src)
	}
	if e == nil {
		s.startSessionLocked(r, u, cl, redirect)
	}
	s.mu.Unlock()
	setClientCookie(w, cl)
	if e != nil {
		s.renderPage(w, http.StatusUnprocessableEntity, pageData{Title: "Sign in to " + c.Name, Mode: "sso",
			Provider: c.Name, ConnectionID: c.ID, Identifier: email, FirstName: first, LastName: last,
			RedirectURL: redirect, DevBrowser: cl.DevBrowser, Error: e.LongMessage})
		return
	}
	s.backToApp(w, r, redirect, cl.DevBrowser, "Signed in", "You are signed in with "+c.Name+".")
}

// newEnterpriseAccountLocked completes the enterprise account a of u's address email.
func (s *Server) newEnterpriseAccountLocked(a *enterpriseAccount, u *user, email string) {
	a.ID = newID("eac")
	a.Email = email
	a.FirstName, a.LastName = u.FirstName, u.LastName
	a.ProviderUserID = "idp|" + strings.ToLower(email)
	a.LastAuthenticatedAt = s.now().UnixMilli()
}

// linkEnterpriseLocked records an SSO sign-in of the existing user u with c: a new
// enterprise account on the first one (user.updated), a new time on the others.
func (s *Server) linkEnterpriseLocked(u *user, c *connection, src reqInfo) {
	for i := range u.EnterpriseAccounts {
		if u.EnterpriseAccounts[i].ConnectionID == c.ID {
			u.EnterpriseAccounts[i].LastAuthenticatedAt = s.now().UnixMilli()
			return
		}
	}
	a := enterpriseAccount{ConnectionID: c.ID}
	for _, e := range u.Emails {
		if emailDomain(e.Address) == c.Domain {
			s.newEnterpriseAccountLocked(&a, u, e.Address)
			break
		}
	}
	u.EnterpriseAccounts = append(u.EnterpriseAccounts, a)
	u.UpdatedAt = s.stampLocked()
	s.emitLocked("user.updated", u.ID, s.userJSONLocked(u), src)
}
