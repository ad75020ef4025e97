package clerkdev

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Email is one email Clerk would have sent. The emulator sends none: it keeps them in its
// outbox (GET /__clerkdev/emails) and logs each one.
type Email struct {
	ID string `json:"id"`
	// Template is the slug of Clerk's email template, such as "organization_invitation".
	Template string `json:"template"`
	To       string `json:"to"`
	Subject  string `json:"subject"`
	// Body is the plain-text body; Links are the URLs in it, in order.
	Body  string   `json:"body"`
	Links []string `json:"links"`
	// ObjectID is the object the email is about, such as the invitation.
	ObjectID string    `json:"object_id"`
	SentAt   time.Time `json:"sent_at"`
}

// maxOutbox bounds the outbox; the oldest emails go first.
const maxOutbox = 1000

// Emails returns the outbox, most recent first.
func (s *Server) Emails() []Email {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]Email{}, s.outbox...)
	slices.Reverse(out)
	return out
}

// sendEmailLocked puts e in the outbox, stamped, and logs it.
func (s *Server) sendEmailLocked(e Email) {
	e.ID = newID("ema")
	e.SentAt = s.now()
	s.outbox = append(s.outbox, e)
	if len(s.outbox) > maxOutbox {
		s.outbox = s.outbox[len(s.outbox)-maxOutbox:]
	}
	s.log.Info("clerkdev: email (kept in the outbox, not sent)", "to", e.To, "subject", e.Subject, "links", e.Links)
}

// sendInvitationEmailLocked writes the email of invitation i to organization o: who
// invites the address, as which role, and the link with the ticket.
func (s *Server) sendInvitationEmailLocked(i *invitation, o *org) {
	invited := "You are invited"
	if u := s.users[i.InviterUserID]; u != nil {
		invited = displayName(u) + " invited you"
	}
	subject := invited + " to join " + o.Name
	link := s.ticketLinkLocked(i)
	expires := time.UnixMilli(i.ExpiresAt).UTC().Format("2 January 2006")
	s.sendEmailLocked(Email{
		Template: "organization_invitation", To: i.Email, ObjectID: i.ID, Subject: subject, Links: []string{link},
		Body: fmt.Sprintf("%s as %s.\n\nAccept the invitation:\n%s\n\nThe invitation expires on %s.",
			subject, s.roleNameLocked(i.Role), link, expires),
	})
}

// displayName is the user's full name, else the primary email address.
func displayName(u *user) string {
	if name := strings.TrimSpace(derefStr(u.FirstName) + " " + derefStr(u.LastName)); name != "" {
		return name
	}
	return u.primaryEmail()
}

// showEmails serves GET /__clerkdev/emails: the outbox, most recent first, as a page or,
// with format=json, as a JSON array of Email; to=<address> keeps that recipient's.
func (s *Server) showEmails(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	emails := slices.DeleteFunc(s.Emails(), func(e Email) bool {
		return q.Get("to") != "" && !strings.EqualFold(e.To, q.Get("to"))
	})
	if q.Get("format") == "json" {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, emails)
		return
	}
	s.renderPage(w, http.StatusOK, pageData{Title: "Emails", Mode: "outbox", Emails: emails})
}
