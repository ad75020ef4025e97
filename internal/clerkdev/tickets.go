package clerkdev

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Organization invitation tickets (see the package doc): the link of an invitation's
// email, GET /v1/tickets/accept, checks its ticket and sends the browser on; the hosted
// pages then complete a sign-up or sign-in with it (ticketpages.go).

// The query parameters of the ticket flow.
const (
	paramTicket       = "__clerk_ticket"
	paramTicketStatus = "__clerk_status"
)

// The values of __clerk_status: Clerk's outcome of checking a ticket in a browser.
const (
	ticketSignUp   = "sign_up"  // no account has the invited address
	ticketSignIn   = "sign_in"  // an account has it: sign in with the ticket
	ticketComplete = "complete" // this browser is signed in as that account: accepted
)

// orgInvitationTicket is the source type ("st") of an organization invitation's ticket.
const orgInvitationTicket = "organization_invitation"

// ticketHeader is the base64url form of the tickets' JWT header {"alg":"HS256","typ":"JWT"}.
const ticketHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

// ticketClaims are the claims of a ticket, named as in Clerk's: the instance, the source
// (the invitation) and its type, and the expiry (unix seconds, and seconds from issue).
type ticketClaims struct {
	InstanceID string `json:"iid"`
	SourceID   string `json:"sid"`
	SourceType string `json:"st"`
	ExpiresAt  int64  `json:"exp"`
	ExpiresIn  int64  `json:"eis"`
}

// ticketFor returns the ticket of invitation i. It is the same every time: the claims
// come from the invitation, and the signature from the Server's ticket key.
func (s *Server) ticketFor(i *invitation) string {
	exp := i.ExpiresAt / 1000
	claims, _ := json.Marshal(ticketClaims{InstanceID: InstanceID, SourceID: i.ID,
		SourceType: orgInvitationTicket, ExpiresAt: exp, ExpiresIn: exp - i.CreatedAt/1000})
	signed := ticketHeader + "." + base64.RawURLEncoding.EncodeToString(claims)
	return signed + "." + base64.RawURLEncoding.EncodeToString(s.ticketMAC(signed))
}

func (s *Server) ticketMAC(signed string) []byte {
	h := hmac.New(sha256.New, s.ticketKey)
	h.Write([]byte(signed))
	return h.Sum(nil)
}

// ticketLinkLocked is the link of invitation i's email (and its url).
func (s *Server) ticketLinkLocked(i *invitation) string {
	return s.baseURL + "/v1/tickets/accept?" + url.Values{"ticket": {s.ticketFor(i)}}.Encode()
}

// parseTicket returns the claims of a ticket this Server signed; ok is false for anything
// else (another instance's, altered, or not a ticket).
func (s *Server) parseTicket(raw string) (claims ticketClaims, ok bool) {
	dot := strings.LastIndexByte(raw, '.')
	if dot < 0 {
		return claims, false
	}
	mac, err := base64.RawURLEncoding.DecodeString(raw[dot+1:])
	if err != nil || !hmac.Equal(mac, s.ticketMAC(raw[:dot])) {
		return claims, false
	}
	header, payload, _ := strings.Cut(raw[:dot], ".")
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if header != ticketHeader || err != nil || json.Unmarshal(body, &claims) != nil {
		return claims, false
	}
	return claims, claims.SourceType == orgInvitationTicket && claims.InstanceID == InstanceID
}

// ticketInvitationLocked returns the invitation a ticket stands for while it can still be
// accepted, else why not, in words for the invitee.
func (s *Server) ticketInvitationLocked(raw string) (*invitation, string) {
	claims, ok := s.parseTicket(raw)
	i := s.invitations[claims.SourceID]
	switch {
	case !ok || i == nil || s.orgs[i.OrgID] == nil:
		return nil, "This invitation link is not valid. Ask the organization for a new invitation."
	case i.Status == "revoked":
		return nil, "This invitation was revoked. Ask the organization for a new invitation."
	case i.Status == "accepted":
		return nil, "This invitation has already been accepted. Sign in to reach the organization."
	case i.ExpiresAt <= s.now().UnixMilli():
		return nil, "This invitation has expired. Ask the organization for a new invitation."
	}
	return i, ""
}

// ticketRefused answers a request whose ticket no longer works, with no form.
func (s *Server) ticketRefused(w http.ResponseWriter, why string) {
	s.renderPage(w, http.StatusBadRequest, pageData{Title: "Invitation unavailable", Mode: "done", Error: why})
}

// cookieClientLocked is the browser's client by the emulator's own cookie, nil without one.
func (s *Server) cookieClientLocked(r *http.Request) *client {
	ck, err := r.Cookie(ClientCookie)
	if err != nil {
		return nil
	}
	return s.clients[s.devBrowsers[ck.Value]]
}

// ticketStatusLocked is __clerk_status for invitation i in the browser of client c (nil
// for a browser the emulator does not know), with the invited account when there is one.
func (s *Server) ticketStatusLocked(i *invitation, c *client) (string, *user) {
	u := s.userByEmailLocked(i.Email)
	if u == nil {
		return ticketSignUp, nil
	}
	if c != nil {
		if sess := s.activeSessionLocked(c); sess != nil && sess.UserID == u.ID {
			return ticketComplete, u
		}
	}
	return ticketSignIn, u
}

// ticketRedirect checks the redirect_url of a ticket's invitation before anything
// happens, as the hosted pages check theirs, and answers a refused one itself (ok is
// false). target is nil when there is none to follow.
func (s *Server) ticketRedirect(w http.ResponseWriter, ticket string) (target *url.URL, ok bool) {
	claims, _ := s.parseTicket(ticket)
	s.mu.Lock()
	redirect := ""
	if i := s.invitations[claims.SourceID]; i != nil {
		redirect = i.RedirectURL
	}
	s.mu.Unlock()
	if redirect == "" {
		return nil, true
	}
	target, bad := s.checkRedirect(redirect, false)
	if bad != nil {
		s.badRedirect(w, bad)
		return nil, false
	}
	return target, true
}

// ticketDestination is where the link sends the browser for status: the invitation's
// redirect_url (target) with __clerk_ticket and __clerk_status (and, once complete, the
// dev browser, as the hosted pages add it), else the hosted page for the status with
// __clerk_ticket. It is "" for complete without a redirect_url: nothing is left to do.
func ticketDestination(target *url.URL, ticket, status string, c *client) string {
	if target == nil {
		q := url.Values{paramTicket: {ticket}}.Encode()
		switch status {
		case ticketSignUp:
			return "/sign-up?" + q
		case ticketSignIn:
			return "/sign-in?" + q
		}
		return ""
	}
	q := target.Query()
	q.Set(paramTicket, ticket)
	q.Set(paramTicketStatus, status)
	if status == ticketComplete {
		q.Set("__clerk_db_jwt", c.DevBrowser)
	}
	dest := *target
	dest.RawQuery = q.Encode()
	return dest.String()
}

// acceptTicket answers the link of an invitation's email, GET /v1/tickets/accept?ticket=:
// it checks the ticket, accepts the invitation at once when the browser is signed in as
// the invited account (complete), and sends the browser on (see ticketDestination).
func (s *Server) acceptTicket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	target, ok := s.ticketRedirect(w, ticket)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, refusal := s.ticketInvitationLocked(ticket)
	if refusal != "" {
		s.ticketRefused(w, refusal)
		return
	}
	c := s.cookieClientLocked(r)
	status, u := s.ticketStatusLocked(i, c)
	if status == ticketComplete {
		s.acceptInvitationLocked(i, u, requestInfo(r))
	}
	w.Header().Set("Cache-Control", "no-store")
	dest := ticketDestination(target, ticket, status, c)
	if dest == "" {
		s.renderPage(w, http.StatusOK, pageData{Title: "Invitation accepted", Mode: "done",
			Message: "You joined " + s.orgs[i.OrgID].Name + "."})
		return
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}
