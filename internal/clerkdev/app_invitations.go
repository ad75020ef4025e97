package clerkdev

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Application invitations (Clerk's "invitation" object: an invitation to sign up to the
// instance, not to an organization):
//
//	POST /v1/invitations                    create
//	POST /v1/invitations/bulk               create up to 10, all or none
//	GET  /v1/invitations                    list; status (repeatable), query, order_by,
//	                                        limit, offset; paginated=true for {data,total_count}
//	POST /v1/invitations/{id}/revoke
//
// As on Clerk: an address with a pending invitation, or one that already belongs to a
// user, is refused unless ignore_existing is true (never in bulk for an existing user);
// invitations expire after expires_in_days (default 30), when their status reads
// "expired"; the list leaves revoked invitations out unless status asks for them.
// Clerk sends no webhook for application invitations (its event catalog has none), so
// neither does the emulator.
//
// A user signing up on the hosted /sign-up page with an invited address accepts the
// invitation: the user is created with the invitation's public_metadata (user.created
// carries them) and the invitation reads "accepted". Users created through the Backend
// API do not accept invitations.

const (
	defaultInvitationDays = 30
	maxInvitationDays     = 365
	maxBulkInvitations    = 10
)

// appInvitation is an application invitation, guarded by Server.mu.
type appInvitation struct {
	ID             string
	Email          string
	Status         string // pending, accepted, revoked; "expired" is derived from ExpiresAt
	RedirectURL    string
	PublicMetadata json.RawMessage
	ExpiresAt      int64
	CreatedAt      int64
	UpdatedAt      int64
}

// appInvitationJSON is Clerk's invitation object.
type appInvitationJSON struct {
	Object         string          `json:"object"`
	ID             string          `json:"id"`
	EmailAddress   string          `json:"email_address"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	Revoked        bool            `json:"revoked"`
	Status         string          `json:"status"`
	URL            string          `json:"url"`
	ExpiresAt      *int64          `json:"expires_at"`
	CreatedAt      int64           `json:"created_at"`
	UpdatedAt      int64           `json:"updated_at"`
}

// statusAt is the invitation's status at nowMs: a pending invitation past its expiry is "expired".
func (i *appInvitation) statusAt(nowMs int64) string {
	if i.Status == "pending" && i.ExpiresAt <= nowMs {
		return "expired"
	}
	return i.Status
}

func (s *Server) appInvitationJSONLocked(i *appInvitation) appInvitationJSON {
	// Clerk's link carries a ticket; the emulator's tickets are organization
	// invitations' only (tickets.go), so this link is the hosted sign-up, where
	// signing up with the invited address accepts the invitation.
	q := url.Values{}
	if i.RedirectURL != "" {
		q.Set("redirect_url", i.RedirectURL)
	}
	expires := i.ExpiresAt
	return appInvitationJSON{Object: "invitation", ID: i.ID, EmailAddress: i.Email,
		PublicMetadata: metaOrEmpty(i.PublicMetadata), Revoked: i.Status == "revoked",
		Status: i.statusAt(s.now().UnixMilli()), URL: s.baseURL + "/sign-up?" + q.Encode(),
		ExpiresAt: &expires, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt}
}

type appInvitationInput struct {
	EmailAddress   *string         `json:"email_address"`
	PublicMeta     json.RawMessage `json:"public_metadata"`
	RedirectURL    *string         `json:"redirect_url"`
	Notify         *bool           `json:"notify"`
	IgnoreExisting *bool           `json:"ignore_existing"`
	ExpiresInDays  *int64          `json:"expires_in_days"`
	TemplateSlug   *string         `json:"template_slug"`
}

// checkAppInvitationLocked checks one invitation's parameters and returns its address;
// duplicate reports an address that already has a pending invitation.
func (s *Server) checkAppInvitationLocked(in appInvitationInput, bulk bool) (email string, duplicate bool, e *apiError) {
	if in.EmailAddress == nil || strings.TrimSpace(*in.EmailAddress) == "" {
		return "", false, errParamMissing("email_address")
	}
	email = strings.TrimSpace(*in.EmailAddress)
	switch {
	case !validEmail(email):
		return "", false, errParamInvalid("email_address", "email_address must be a valid email address.")
	case in.ExpiresInDays != nil && *in.ExpiresInDays < 1:
		return "", false, errParamValueInvalid("expires_in_days", "expires_in_days must be at least 1.")
	case in.ExpiresInDays != nil && *in.ExpiresInDays > maxInvitationDays:
		return "", false, errParamValueTooLarge("expires_in_days", maxInvitationDays)
	case in.TemplateSlug != nil && *in.TemplateSlug != "invitation" && *in.TemplateSlug != "waitlist_invitation":
		return "", false, errParamValueInvalid("template_slug", *in.TemplateSlug+
			" does not match the allowed values for parameter template_slug. Allowed values: invitation, waitlist_invitation")
	}
	if e := (metadataInput{Public: in.PublicMeta}).check(); e != nil {
		return "", false, e
	}
	ignore := in.IgnoreExisting != nil && *in.IgnoreExisting
	if s.userByEmailLocked(email) != nil && (bulk || !ignore) {
		return "", false, errIdentifierExists("email_address", "That email address is taken. Please try another.")
	}
	return email, !ignore && s.pendingAppInvitationLocked(email) != nil, nil
}

// pendingAppInvitationLocked returns the newest unexpired pending invitation for email.
func (s *Server) pendingAppInvitationLocked(email string) *appInvitation {
	var found *appInvitation
	nowMs := s.now().UnixMilli()
	for _, i := range s.appInvitations {
		if strings.EqualFold(i.Email, email) && i.statusAt(nowMs) == "pending" &&
			(found == nil || i.CreatedAt > found.CreatedAt) {
			found = i
		}
	}
	return found
}

func (s *Server) addAppInvitationLocked(email string, in appInvitationInput) *appInvitation {
	days := int64(defaultInvitationDays)
	if in.ExpiresInDays != nil {
		days = *in.ExpiresInDays
	}
	i := &appInvitation{ID: newID("inv"), Email: email, Status: "pending",
		RedirectURL: derefStr(in.RedirectURL), PublicMetadata: in.PublicMeta}
	i.CreatedAt = s.stampLocked()
	i.UpdatedAt = i.CreatedAt
	i.ExpiresAt = i.CreatedAt + days*24*3600*1000
	s.appInvitations[i.ID] = i
	return i
}

// createAppInvitation answers POST /v1/invitations.
func (s *Server) createAppInvitation(w http.ResponseWriter, r *http.Request) {
	var in appInvitationInput
	if e := decodeBody(r, &in); e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	email, duplicate, e := s.checkAppInvitationLocked(in, false)
	if e == nil && duplicate {
		e = errDuplicateInvitations([]string{email})
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, s.appInvitationJSONLocked(s.addAppInvitationLocked(email, in)))
}

// createAppInvitations answers POST /v1/invitations/bulk: every invitation is checked
// before any is created; the duplicates are reported together.
func (s *Server) createAppInvitations(w http.ResponseWriter, r *http.Request) {
	var ins []appInvitationInput
	if e := decodeBody(r, &ins); e != nil {
		writeAPIError(w, e)
		return
	}
	if len(ins) == 0 {
		writeAPIError(w, errMalformed("The request body is invalid. Please consult the API documentation for more information."))
		return
	}
	if len(ins) > maxBulkInvitations {
		writeAPIError(w, errBulkSizeExceeded(maxBulkInvitations))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	emails := make([]string, len(ins))
	var duplicates []string
	for n, in := range ins {
		email, duplicate, e := s.checkAppInvitationLocked(in, true)
		if e != nil {
			writeAPIError(w, e)
			return
		}
		if duplicate || slices.ContainsFunc(emails[:n], func(x string) bool { return strings.EqualFold(x, email) }) {
			duplicates = append(duplicates, email)
		}
		emails[n] = email
	}
	if len(duplicates) > 0 {
		writeAPIError(w, errDuplicateInvitations(duplicates))
		return
	}
	out := make([]appInvitationJSON, 0, len(ins))
	for n, in := range ins {
		out = append(out, s.appInvitationJSONLocked(s.addAppInvitationLocked(emails[n], in)))
	}
	writeJSON(w, http.StatusOK, out)
}

// revokeAppInvitation answers POST /v1/invitations/{id}/revoke.
func (s *Server) revokeAppInvitation(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.appInvitations[r.PathValue("id")]
	switch {
	case i == nil:
		writeAPIError(w, errInvitationNotFound(r.PathValue("id")))
	case i.Status == "revoked":
		writeAPIError(w, errInvitationAlreadyRevoked())
	case i.Status == "accepted":
		writeAPIError(w, errInvitationAlreadyAccepted())
	default:
		i.Status = "revoked"
		i.UpdatedAt = s.stampLocked()
		writeJSON(w, http.StatusOK, s.appInvitationJSONLocked(i))
	}
}

// listAppInvitations answers GET /v1/invitations.
func (s *Server) listAppInvitations(w http.ResponseWriter, r *http.Request) {
	limit, offset, e := page(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	q := r.URL.Query()
	statuses, query := q["status"], strings.ToLower(q.Get("query"))
	s.mu.Lock()
	defer s.mu.Unlock()
	nowMs := s.now().UnixMilli()
	var all []*appInvitation
	for _, i := range s.appInvitations {
		st := i.statusAt(nowMs)
		if (len(statuses) == 0 && st == "revoked") || (len(statuses) > 0 && !slices.Contains(statuses, st)) ||
			(query != "" && !strings.Contains(strings.ToLower(i.Email+" "+i.ID), query)) {
			continue
		}
		all = append(all, i)
	}
	slices.SortFunc(all, appInvitationOrder(q.Get("order_by")))
	writeList(w, r, pageOf(all, limit, offset, s.appInvitationJSONLocked), len(all))
}

// appInvitationOrder compares by created_at, email_address or expires_at, "+" (the
// default direction) or "-" first; an empty order_by is -created_at.
func appInvitationOrder(orderBy string) func(a, b *appInvitation) int {
	if orderBy == "" {
		orderBy = "-created_at"
	}
	desc := strings.HasPrefix(orderBy, "-")
	field := strings.TrimLeft(orderBy, "+-")
	return func(a, b *appInvitation) int {
		c := 0
		switch field {
		case "email_address":
			c = strings.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email))
		case "expires_at":
			c = int(a.ExpiresAt - b.ExpiresAt)
		}
		if c == 0 {
			c = int(a.CreatedAt - b.CreatedAt)
		}
		if desc {
			return -c
		}
		return c
	}
}

// signUpUserLocked creates the user of a hosted sign-up. A pending invitation for its
// address is accepted, its public metadata becoming the user's, as when Clerk's
// invitation link is followed.
func (s *Server) signUpUserLocked(in userInput, src reqInfo) (*user, *apiError) {
	var inv *appInvitation
	if len(in.EmailAddresses) == 1 {
		inv = s.pendingAppInvitationLocked(strings.TrimSpace(in.EmailAddresses[0]))
	}
	if inv != nil && in.PublicMeta == nil {
		in.PublicMeta = inv.PublicMetadata
	}
	u, e := s.createUserLocked(in, src)
	if e == nil && inv != nil {
		inv.Status = "accepted"
		inv.UpdatedAt = s.stampLocked()
	}
	return u, e
}
