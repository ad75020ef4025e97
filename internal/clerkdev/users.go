package clerkdev

import (
	"encoding/json"
	"net/http"
	"net/mail"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func hashPassword(pw string) ([]byte, error) {
	// MinCost: this is a development tool, and tests create users often.
	return bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
}

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && strings.Contains(e, "@")
}

type userInput struct {
	EmailAddresses []string        `json:"email_address"`
	Password       *string         `json:"password"`
	FirstName      *string         `json:"first_name"`
	LastName       *string         `json:"last_name"`
	Username       *string         `json:"username"`
	ExternalID     *string         `json:"external_id"`
	PublicMeta     json.RawMessage `json:"public_metadata"`
	PrivateMeta    json.RawMessage `json:"private_metadata"`
	UnsafeMeta     json.RawMessage `json:"unsafe_metadata"`
	// enterprise, set by an SSO sign-up (enterprise.go), becomes the user's
	// enterprise account for its first address.
	enterprise *enterpriseAccount
}

// createUserLocked validates in and creates the user, and emits user.created. Pending
// invitations to its email addresses stay pending: only their tickets accept them. A
// verified domain of one of its addresses then invites it or suggests its organization
// (domains.go).
func (s *Server) createUserLocked(in userInput, src reqInfo) (*user, *apiError) {
	if len(in.EmailAddresses) == 0 {
		return nil, errDataMissing("email_address")
	}
	if e := in.metadata().check(); e != nil {
		return nil, e
	}
	u := &user{ID: newID("user"), Username: in.Username, FirstName: in.FirstName, LastName: in.LastName,
		ExternalID: in.ExternalID, PublicMetadata: in.PublicMeta, PrivateMetadata: in.PrivateMeta,
		UnsafeMetadata: in.UnsafeMeta}
	for _, e := range in.EmailAddresses {
		e = strings.TrimSpace(e)
		if !validEmail(e) {
			return nil, errParamInvalid("email_address", "email_address must be a valid email address.")
		}
		if s.userByEmailLocked(e) != nil {
			return nil, errIdentifierExists("email_address", "That email address is taken. Please try another.")
		}
		u.Emails = append(u.Emails, emailAddr{ID: newID("idn"), Address: e})
	}
	if in.Username != nil {
		for _, o := range s.users {
			if o.Username != nil && *o.Username == *in.Username {
				return nil, errIdentifierExists("username", "That username is taken. Please try another.")
			}
		}
	}
	if in.Password != nil {
		h, e := passwordParam(*in.Password)
		if e != nil {
			return nil, e
		}
		u.PasswordHash = h
	}
	u.CreatedAt = s.stampLocked()
	u.UpdatedAt = u.CreatedAt
	if u.PasswordHash != nil {
		u.PasswordSetAt = ptrTo(u.CreatedAt)
	}
	if in.enterprise != nil {
		s.newEnterpriseAccountLocked(in.enterprise, u, u.primaryEmail())
		u.EnterpriseAccounts = []enterpriseAccount{*in.enterprise}
	}
	s.users[u.ID] = u
	s.emitLocked("user.created", u.ID, s.userJSONLocked(u), src)
	s.enrollNewUserLocked(u, src)
	return u, nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var in userInput
	if e := decodeBody(r, &in); e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, e := s.createUserLocked(in, requestInfo(r))
	if e != nil {
		writeAPIError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, s.userJSONLocked(u))
}

// userLocked finds the user of the request's {id}, or answers 404 and returns nil.
func (s *Server) userLocked(w http.ResponseWriter, r *http.Request) *user {
	u := s.users[r.PathValue("id")]
	if u == nil {
		writeAPIError(w, errUserNotFound(r.PathValue("id")))
	}
	return u
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(w, r)
	if u == nil {
		return
	}
	writeJSON(w, http.StatusOK, s.userJSONLocked(u))
}

// filterUsersLocked applies the list-users query filters and ordering.
func (s *Server) filterUsersLocked(r *http.Request) ([]*user, *apiError) {
	q := r.URL.Query()
	emails, ids, query := q["email_address"], q["user_id"], strings.ToLower(q.Get("query"))
	var out []*user
	for _, u := range s.users {
		if len(ids) > 0 && !slices.Contains(ids, u.ID) {
			continue
		}
		if len(emails) > 0 && !slices.ContainsFunc(u.Emails, func(e emailAddr) bool {
			return slices.ContainsFunc(emails, func(x string) bool { return strings.EqualFold(x, e.Address) })
		}) {
			continue
		}
		if query != "" {
			hay := strings.ToLower(u.ID + " " + u.primaryEmail() + " " + derefStr(u.FirstName) + " " +
				derefStr(u.LastName) + " " + derefStr(u.Username))
			if !strings.Contains(hay, query) {
				continue
			}
		}
		out = append(out, u)
	}
	order := q.Get("order_by")
	if order == "" {
		order = "-created_at"
	}
	desc := strings.HasPrefix(order, "-")
	field := strings.TrimLeft(order, "+-")
	key := func(u *user) string {
		switch field {
		case "email_address":
			return strings.ToLower(u.primaryEmail())
		case "first_name":
			return strings.ToLower(derefStr(u.FirstName))
		case "last_name":
			return strings.ToLower(derefStr(u.LastName))
		case "username":
			return strings.ToLower(derefStr(u.Username))
		}
		return ""
	}
	slices.SortFunc(out, func(a, b *user) int {
		c := strings.Compare(key(a), key(b))
		if c == 0 {
			c = int(a.CreatedAt - b.CreatedAt)
		}
		if desc {
			return -c
		}
		return c
	})
	return out, nil
}

// listUsers answers GET /v1/users with a bare JSON array, as Clerk does; clerk-sdk-go
// then calls GET /v1/users/count for the total.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	limit, offset, e := page(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all, e := s.filterUsersLocked(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(all, limit, offset, s.userJSONLocked))
}

func (s *Server) countUsers(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all, e := s.filterUsersLocked(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "total_count", "total_count": len(all)})
}

// updateUser answers PATCH /v1/users/{id}; metadata given here replace the stored ones
// (see metadata.go for the merging route).
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	var in userInput
	e := decodeBody(r, &in)
	if e == nil {
		e = in.metadata().check()
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(w, r)
	if u == nil {
		return
	}
	if in.Password != nil {
		h, e := passwordParam(*in.Password)
		if e != nil {
			writeAPIError(w, e)
			return
		}
		u.PasswordHash = h
		u.PasswordSetAt = ptrTo(s.now().UnixMilli())
	}
	if in.FirstName != nil {
		u.FirstName = strPtr(*in.FirstName)
	}
	if in.LastName != nil {
		u.LastName = strPtr(*in.LastName)
	}
	if in.Username != nil {
		u.Username = strPtr(*in.Username)
	}
	if in.ExternalID != nil {
		u.ExternalID = strPtr(*in.ExternalID)
	}
	in.metadata().replace(&u.PublicMetadata, &u.PrivateMetadata, &u.UnsafeMetadata)
	u.UpdatedAt = s.stampLocked()
	s.emitLocked("user.updated", u.ID, s.userJSONLocked(u), requestInfo(r))
	writeJSON(w, http.StatusOK, s.userJSONLocked(u))
}

type deletedJSON struct {
	Object     string  `json:"object"`
	ID         string  `json:"id"`
	Slug       string  `json:"slug,omitempty"`
	Deleted    bool    `json:"deleted"`
	ExternalID *string `json:"external_id,omitempty"`
}

// deleteUser removes the user, its memberships and its sessions (status removed).
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	src := requestInfo(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(w, r)
	if u == nil {
		return
	}
	for _, sess := range s.sessions {
		if sess.UserID == u.ID && sess.Status == "active" {
			s.setSessionStatusLocked(sess, "removed", src)
		}
	}
	for id, m := range s.memberships {
		if m.UserID == u.ID {
			delete(s.memberships, id)
		}
	}
	for id, sg := range s.suggestions {
		if sg.UserID == u.ID {
			delete(s.suggestions, id)
		}
	}
	delete(s.users, u.ID)
	type deletedUser struct {
		Object     string  `json:"object"`
		ID         string  `json:"id"`
		Deleted    bool    `json:"deleted"`
		ExternalID *string `json:"external_id"`
	}
	s.emitLocked("user.deleted", u.ID, deletedUser{Object: "user", ID: u.ID, Deleted: true, ExternalID: u.ExternalID}, src)
	writeJSON(w, http.StatusOK, deletedJSON{Object: "user", ID: u.ID, Deleted: true})
}
