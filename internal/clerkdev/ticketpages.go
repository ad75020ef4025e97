package clerkdev

import (
	"net/http"
	"net/url"
	"strings"
)

// The hosted pages with an invitation's __clerk_ticket: Clerk's sign-up and sign-in with
// strategy "ticket". The ticket verifies the invited address, so the page shows it fixed
// and the form's identifier is never read; completing the page accepts the invitation.

// ticketPageLocked returns the invitation of d's ticket, filling d with it, and the
// hosted page that takes the ticket: sign-up when no account has the invited address,
// else sign-in, as Clerk's components follow __clerk_status. A refused ticket has no
// invitation, and refusal says why.
func (s *Server) ticketPageLocked(d *pageData) (i *invitation, mode, refusal string) {
	i, refusal = s.ticketInvitationLocked(d.Ticket)
	if i == nil {
		return nil, "", refusal
	}
	d.Identifier, d.Invitation = i.Email, s.orgs[i.OrgID].Name
	if s.userByEmailLocked(i.Email) == nil {
		return i, "sign-up", ""
	}
	return i, "sign-in", ""
}

// ticketQuery is the query of a hosted page that carries on d's ticket flow.
func ticketQuery(d pageData) string {
	q := url.Values{paramTicket: {d.Ticket}, "__clerk_db_jwt": {d.DevBrowser}}
	if d.RedirectURL != "" {
		q.Set("redirect_url", d.RedirectURL)
	}
	return q.Encode()
}

// showTicketPortal serves GET /sign-up or /sign-in with a ticket: the page with the
// invited address, the other page when that one takes the ticket, or why the ticket no
// longer works.
func (s *Server) showTicketPortal(w http.ResponseWriter, r *http.Request, d pageData) {
	s.mu.Lock()
	_, mode, refusal := s.ticketPageLocked(&d)
	s.mu.Unlock()
	switch {
	case refusal != "":
		s.ticketRefused(w, refusal)
	case mode != d.Mode:
		http.Redirect(w, r, "/"+mode+"?"+ticketQuery(d), http.StatusSeeOther)
	default:
		s.renderPortal(w, http.StatusOK, d)
	}
}

// signUpWithTicket handles POST /sign-up with a ticket: the new account gets the invited
// address (verified by the ticket), the form's password and names; then the invitation
// is accepted and the session starts.
func (s *Server) signUpWithTicket(w http.ResponseWriter, r *http.Request, redirect string) {
	f := r.PostForm
	s.mu.Lock()
	c := s.clientForLocked(r, f.Get("__clerk_db_jwt"))
	d := pageData{Mode: "sign-up", RedirectURL: redirect, DevBrowser: c.DevBrowser, Ticket: f.Get(paramTicket),
		FirstName: strings.TrimSpace(f.Get("first_name")), LastName: strings.TrimSpace(f.Get("last_name"))}
	i, mode, refusal := s.ticketPageLocked(&d)
	if mode == "sign-up" {
		d.Error = s.signUpInvitedLocked(r, i, d, f.Get("password"), c)
	}
	s.mu.Unlock()
	s.answerTicketForm(w, r, c, d, mode, refusal, "Your account is ready and you joined "+d.Invitation+".")
}

// signUpInvitedLocked creates the account invited by i with d's names and password,
// accepts i and starts the session, or returns why the account was not created.
func (s *Server) signUpInvitedLocked(r *http.Request, i *invitation, d pageData, password string, c *client) string {
	if password == "" {
		return "Enter a password."
	}
	src := requestInfo(r)
	u, e := s.createUserLocked(userInput{EmailAddresses: []string{i.Email}, Password: &password,
		FirstName: strPtr(d.FirstName), LastName: strPtr(d.LastName)}, src)
	if e != nil {
		return e.LongMessage
	}
	s.acceptInvitationLocked(i, u, src)
	s.startSessionLocked(r, u, c, d.RedirectURL)
	return ""
}

// signInWithTicket handles POST /sign-in with a ticket: the ticket is the first factor,
// so the invited account signs in without a password; the invitation is accepted first.
func (s *Server) signInWithTicket(w http.ResponseWriter, r *http.Request, redirect string) {
	f := r.PostForm
	s.mu.Lock()
	c := s.clientForLocked(r, f.Get("__clerk_db_jwt"))
	d := pageData{Mode: "sign-in", RedirectURL: redirect, DevBrowser: c.DevBrowser, Ticket: f.Get(paramTicket)}
	i, mode, refusal := s.ticketPageLocked(&d)
	if mode == "sign-in" {
		u := s.userByEmailLocked(i.Email)
		s.acceptInvitationLocked(i, u, requestInfo(r))
		s.startSessionLocked(r, u, c, redirect)
	}
	s.mu.Unlock()
	s.answerTicketForm(w, r, c, d, mode, refusal, "You are signed in and joined "+d.Invitation+".")
}

// answerTicketForm answers a POST with a ticket: why the ticket no longer works, the
// other hosted page when that one takes it (an account made or deleted meanwhile), or as
// answerPortalForm does.
func (s *Server) answerTicketForm(w http.ResponseWriter, r *http.Request, c *client, d pageData, mode, refusal, done string) {
	switch {
	case refusal != "":
		setClientCookie(w, c)
		s.ticketRefused(w, refusal)
	case mode != d.Mode:
		setClientCookie(w, c)
		http.Redirect(w, r, "/"+mode+"?"+ticketQuery(d), http.StatusSeeOther)
	default:
		s.answerPortalForm(w, r, c, d, done)
	}
}
