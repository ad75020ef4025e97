package clerkdev

import (
	"encoding/json"
	"net/http"
	"net/mail"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

type verificationJSON struct {
	Status   string `json:"status"`
	Strategy string `json:"strategy"`
	Attempts *int64 `json:"attempts"`
	ExpireAt *int64 `json:"expire_at"`
}

type emailJSON struct {
	ID           string           `json:"id"`
	Object       string           `json:"object"`
	EmailAddress string           `json:"email_address"`
	Reserved     bool             `json:"reserved"`
	Verification verificationJSON `json:"verification"`
	LinkedTo     []any            `json:"linked_to"`
	CreatedAt    int64            `json:"created_at"`
	UpdatedAt    int64            `json:"updated_at"`
}

// userJSON is Clerk's user object; its keys are those of the user.created webhook example.
type userJSON struct {
	Object                        string          `json:"object"`
	ID                            string          `json:"id"`
	ExternalID                    *string         `json:"external_id"`
	PrimaryEmailAddressID         *string         `json:"primary_email_address_id"`
	PrimaryPhoneNumberID          *string         `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID           *string         `json:"primary_web3_wallet_id"`
	Username                      *string         `json:"username"`
	FirstName                     *string         `json:"first_name"`
	LastName                      *string         `json:"last_name"`
	ProfileImageURL               string          `json:"profile_image_url"`
	ImageURL                      string          `json:"image_url"`
	HasImage                      bool            `json:"has_image"`
	PublicMetadata                json.RawMessage `json:"public_metadata"`
	PrivateMetadata               json.RawMessage `json:"private_metadata"`
	UnsafeMetadata                json.RawMessage `json:"unsafe_metadata"`
	EmailAddresses                []emailJSON     `json:"email_addresses"`
	PhoneNumbers                  []any           `json:"phone_numbers"`
	Web3Wallets                   []any           `json:"web3_wallets"`
	Passkeys                      []any           `json:"passkeys"`
	PasswordEnabled               bool            `json:"password_enabled"`
	TwoFactorEnabled              bool            `json:"two_factor_enabled"`
	TOTPEnabled                   bool            `json:"totp_enabled"`
	BackupCodeEnabled             bool            `json:"backup_code_enabled"`
	MFAEnabledAt                  *int64          `json:"mfa_enabled_at"`
	MFADisabledAt                 *int64          `json:"mfa_disabled_at"`
	ExternalAccounts              []any           `json:"external_accounts"`
	SAMLAccounts                  []any           `json:"saml_accounts"`
	EnterpriseAccounts            []any           `json:"enterprise_accounts"`
	LastSignInAt                  *int64          `json:"last_sign_in_at"`
	Banned                        bool            `json:"banned"`
	Locked                        bool            `json:"locked"`
	LockoutExpiresInSeconds       *int64          `json:"lockout_expires_in_seconds"`
	VerificationAttemptsRemaining *int64          `json:"verification_attempts_remaining"`
	UpdatedAt                     int64           `json:"updated_at"`
	CreatedAt                     int64           `json:"created_at"`
	DeleteSelfEnabled             bool            `json:"delete_self_enabled"`
	CreateOrganizationEnabled     bool            `json:"create_organization_enabled"`
	CreateOrganizationsLimit      *int            `json:"create_organizations_limit"`
	LastActiveAt                  *int64          `json:"last_active_at"`
	LegalAcceptedAt               *int64          `json:"legal_accepted_at"`
}

func (s *Server) imageURLLocked(id string) string {
	return s.baseURL + "/__clerkdev/img/" + id + ".svg"
}

func (s *Server) userJSONLocked(u *user) userJSON {
	emails := make([]emailJSON, 0, len(u.Emails))
	for _, e := range u.Emails {
		emails = append(emails, emailJSON{
			ID: e.ID, Object: "email_address", EmailAddress: e.Address,
			Verification: verificationJSON{Status: "verified", Strategy: "admin"},
			LinkedTo:     []any{}, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		})
	}
	var primary *string
	if len(u.Emails) > 0 {
		primary = strPtr(u.Emails[0].ID)
	}
	img := s.imageURLLocked(u.ID)
	return userJSON{
		Object: "user", ID: u.ID, ExternalID: u.ExternalID,
		PrimaryEmailAddressID: primary, Username: u.Username,
		FirstName: u.FirstName, LastName: u.LastName,
		ProfileImageURL: img, ImageURL: img,
		PublicMetadata:  metaOrEmpty(u.PublicMetadata),
		PrivateMetadata: metaOrEmpty(u.PrivateMetadata),
		UnsafeMetadata:  metaOrEmpty(u.UnsafeMetadata),
		EmailAddresses:  emails,
		PhoneNumbers:    []any{}, Web3Wallets: []any{}, Passkeys: []any{},
		PasswordEnabled:  len(u.PasswordHash) > 0,
		ExternalAccounts: []any{}, SAMLAccounts: []any{}, EnterpriseAccounts: []any{},
		LastSignInAt: u.LastSignInAt,
		UpdatedAt:    u.UpdatedAt, CreatedAt: u.CreatedAt,
		DeleteSelfEnabled: true, CreateOrganizationEnabled: true,
		LastActiveAt: u.LastActiveAt,
	}
}

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
}

// createUserLocked validates in and creates the user, and emits user.created. Pending
// invitations to its email addresses stay pending: only their tickets accept them.
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
	s.users[u.ID] = u
	s.emitLocked("user.created", u.ID, s.userJSONLocked(u), src)
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

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[r.PathValue("id")]
	if u == nil {
		writeAPIError(w, errUserNotFound(r.PathValue("id")))
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
	u := s.users[r.PathValue("id")]
	if u == nil {
		writeAPIError(w, errUserNotFound(r.PathValue("id")))
		return
	}
	if in.Password != nil {
		h, e := passwordParam(*in.Password)
		if e != nil {
			writeAPIError(w, e)
			return
		}
		u.PasswordHash = h
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
	u := s.users[r.PathValue("id")]
	if u == nil {
		writeAPIError(w, errUserNotFound(r.PathValue("id")))
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
