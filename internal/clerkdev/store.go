package clerkdev

import (
	"crypto/rand"
	"encoding/json"
	"math/big"
	"strings"
)

// The in-memory state. Every field is guarded by Server.mu.

type emailAddr struct {
	ID      string
	Address string
}

type user struct {
	ID              string
	Emails          []emailAddr // the first one is primary
	Username        *string
	FirstName       *string
	LastName        *string
	ExternalID      *string
	PasswordHash    []byte
	PasswordSetAt   *int64 // when the password was last set (ms), nil without one
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	UnsafeMetadata  json.RawMessage
	LastSignInAt    *int64
	LastActiveAt    *int64
	// EnterpriseAccounts are the user's SSO links (enterprise.go).
	EnterpriseAccounts []enterpriseAccount
	CreatedAt          int64
	UpdatedAt          int64
}

// hasEmail reports whether address is one of u's email addresses.
func (u *user) hasEmail(address string) bool {
	for _, e := range u.Emails {
		if strings.EqualFold(e.Address, address) {
			return true
		}
	}
	return false
}

func (u *user) primaryEmail() string {
	if len(u.Emails) == 0 {
		return ""
	}
	return u.Emails[0].Address
}

type org struct {
	ID                    string
	Name                  string
	Slug                  string
	CreatedBy             string
	MaxAllowedMemberships int64
	AdminDeleteEnabled    bool
	PublicMetadata        json.RawMessage
	PrivateMetadata       json.RawMessage
	CreatedAt             int64
	UpdatedAt             int64
}

type membership struct {
	ID              string
	OrgID           string
	UserID          string
	Role            string
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	CreatedAt       int64
	UpdatedAt       int64
}

type invitation struct {
	ID              string
	OrgID           string
	Email           string
	Role            string
	Status          string // pending, accepted, revoked
	InviterUserID   string
	RedirectURL     string
	UserID          string // set when accepted
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	ExpiresAt       int64
	CreatedAt       int64
	UpdatedAt       int64
}

type session struct {
	ID            string
	ClientID      string
	UserID        string
	Status        string // active, ended, revoked, removed
	ActiveOrgID   string
	Azp           string
	IP            string
	UserAgent     string
	LastActiveAt  int64
	ExpireAt      int64
	AbandonAt     int64
	CreatedAt     int64
	UpdatedAt     int64
	SignedInAtSec int64
}

// client is a browser (or a BAPI-created session's holder). In development a dev
// browser token stands for it.
type client struct {
	ID         string
	DevBrowser string
	SessionIDs []string // in creation order; the last active one is the client's session
	UpdatedAt  int64    // unix seconds of the last sign-in or sign-out (the __client_uat value)
}

// metaOrEmpty is the metadata as Clerk returns it: {} when never set; an explicit null
// (stored by PUT /metadata, as Clerk documents) stays null.
func metaOrEmpty(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage("{}")
	}
	return m
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ptrTo returns a pointer to a copy of v.
func ptrTo[T any](v T) *T { return &v }

func derefStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomString returns n random base62 characters.
func randomString(n int) string {
	var b strings.Builder
	max := big.NewInt(int64(len(base62)))
	for range n {
		i, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("clerkdev: crypto/rand failed: " + err.Error())
		}
		b.WriteByte(base62[i.Int64()])
	}
	return b.String()
}

// newID returns a Clerk-like id: prefix, underscore, "2" and 26 random characters.
func newID(prefix string) string {
	return prefix + "_2" + randomString(26)
}

// seedID returns a stable, readable id for seed objects: prefix_2<name>000…, 27
// characters after the underscore like Clerk's ids.
func seedID(prefix, name string) string {
	var b strings.Builder
	for _, r := range name {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	n := b.String()
	if len(n) > 26 {
		n = n[:26]
	}
	return prefix + "_2" + n + strings.Repeat("0", 26-len(n))
}

// The lookups below must be called with s.mu held.

func (s *Server) userByEmailLocked(email string) *user {
	email = strings.ToLower(strings.TrimSpace(email))
	for _, u := range s.users {
		for _, e := range u.Emails {
			if strings.ToLower(e.Address) == email {
				return u
			}
		}
	}
	return nil
}

func (s *Server) orgByIDOrSlugLocked(idOrSlug string) *org {
	if o, ok := s.orgs[idOrSlug]; ok {
		return o
	}
	for _, o := range s.orgs {
		if o.Slug == idOrSlug {
			return o
		}
	}
	return nil
}

func (s *Server) membershipLocked(orgID, userID string) *membership {
	for _, m := range s.memberships {
		if m.OrgID == orgID && m.UserID == userID {
			return m
		}
	}
	return nil
}

func (s *Server) membersCountLocked(orgID string) int64 {
	var n int64
	for _, m := range s.memberships {
		if m.OrgID == orgID {
			n++
		}
	}
	return n
}

func (s *Server) pendingInvitationsCountLocked(orgID string) int64 {
	var n int64
	for _, i := range s.invitations {
		if i.OrgID == orgID && i.Status == "pending" {
			n++
		}
	}
	return n
}
