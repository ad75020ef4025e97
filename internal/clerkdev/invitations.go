package clerkdev

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// invitationJSON is Clerk's organization_invitation object: the keys of the webhook
// examples, the inviter (inviter_id, public_inviter_data) of the Backend API's object and
// the organization's public data; user_id appears once accepted.
type invitationJSON struct {
	Object                 string                  `json:"object"`
	ID                     string                  `json:"id"`
	EmailAddress           string                  `json:"email_address"`
	Role                   string                  `json:"role"`
	RoleName               string                  `json:"role_name"`
	OrganizationID         string                  `json:"organization_id"`
	InviterID              *string                 `json:"inviter_id"`
	PublicInviterData      *inviterDataJSON        `json:"public_inviter_data"`
	PublicOrganizationData *publicOrganizationJSON `json:"public_organization_data"`
	Status                 string                  `json:"status"`
	PublicMetadata         json.RawMessage         `json:"public_metadata"`
	PrivateMetadata        json.RawMessage         `json:"private_metadata"`
	URL                    string                  `json:"url"`
	UserID                 *string                 `json:"user_id,omitempty"`
	ExpiresAt              int64                   `json:"expires_at"`
	CreatedAt              int64                   `json:"created_at"`
	UpdatedAt              int64                   `json:"updated_at"`
}

// inviterDataJSON is the public data of an invitation's inviter.
type inviterDataJSON struct {
	UserID     string  `json:"user_id"`
	FirstName  *string `json:"first_name"`
	LastName   *string `json:"last_name"`
	ImageURL   string  `json:"image_url"`
	HasImage   bool    `json:"has_image"`
	Identifier string  `json:"identifier"`
}

// publicOrganizationJSON is the public data of an invitation's organization.
type publicOrganizationJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	ImageURL string `json:"image_url"`
	HasImage bool   `json:"has_image"`
}

// invitationJSONLocked is i's JSON; its url is the link of the invitation's email.
func (s *Server) invitationJSONLocked(i *invitation) invitationJSON {
	out := invitationJSON{
		Object: "organization_invitation", ID: i.ID, EmailAddress: i.Email,
		Role: i.Role, RoleName: s.roleNameLocked(i.Role), OrganizationID: i.OrgID,
		InviterID: strPtr(i.InviterUserID), Status: i.Status,
		PublicMetadata:  metaOrEmpty(i.PublicMetadata),
		PrivateMetadata: metaOrEmpty(i.PrivateMetadata),
		URL:             s.ticketLinkLocked(i),
		UserID:          strPtr(i.UserID),
		ExpiresAt:       i.ExpiresAt, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt,
	}
	if u := s.users[i.InviterUserID]; u != nil {
		out.PublicInviterData = &inviterDataJSON{UserID: u.ID, FirstName: u.FirstName, LastName: u.LastName,
			ImageURL: s.imageURLLocked(u.ID), Identifier: u.primaryEmail()}
	}
	if o := s.orgs[i.OrgID]; o != nil {
		out.PublicOrganizationData = &publicOrganizationJSON{ID: o.ID, Name: o.Name, Slug: o.Slug,
			ImageURL: s.imageURLLocked(o.ID)}
	}
	return out
}

type invitationInput struct {
	EmailAddress  *string         `json:"email_address"`
	Role          *string         `json:"role"`
	InviterUserID *string         `json:"inviter_user_id"`
	RedirectURL   *string         `json:"redirect_url"`
	ExpiresInDays *int64          `json:"expires_in_days"`
	PublicMeta    json.RawMessage `json:"public_metadata"`
	PrivateMeta   json.RawMessage `json:"private_metadata"`
}

func (s *Server) createInvitation(w http.ResponseWriter, r *http.Request) {
	var in invitationInput
	if e := decodeBody(r, &in); e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgByIDOrSlugLocked(r.PathValue("id"))
	if o == nil {
		writeAPIError(w, errOrgNotFound())
		return
	}
	if in.EmailAddress == nil || *in.EmailAddress == "" {
		writeAPIError(w, errParamMissing("email_address"))
		return
	}
	email := strings.TrimSpace(*in.EmailAddress)
	if !validEmail(email) {
		writeAPIError(w, errParamInvalid("email_address", "email_address must be a valid email address."))
		return
	}
	role, e := s.roleParamLocked(in.Role)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	if in.InviterUserID != nil && *in.InviterUserID != "" && s.users[*in.InviterUserID] == nil {
		writeAPIError(w, errUserNotFound(*in.InviterUserID))
		return
	}
	if u := s.userByEmailLocked(email); u != nil && s.membershipLocked(o.ID, u.ID) != nil {
		writeAPIError(w, errAlreadyMember(email))
		return
	}
	for _, i := range s.invitations {
		if i.OrgID == o.ID && i.Status == "pending" && strings.EqualFold(i.Email, email) {
			writeAPIError(w, errDuplicateInvitations([]string{email}))
			return
		}
	}
	days := int64(30)
	if in.ExpiresInDays != nil && *in.ExpiresInDays > 0 {
		days = *in.ExpiresInDays
	}
	i := &invitation{ID: newID("orginv"), OrgID: o.ID, Email: email, Role: role, Status: "pending",
		InviterUserID: derefStr(in.InviterUserID), RedirectURL: derefStr(in.RedirectURL),
		PublicMetadata: in.PublicMeta, PrivateMetadata: in.PrivateMeta}
	i.CreatedAt = s.stampLocked()
	i.UpdatedAt = i.CreatedAt
	i.ExpiresAt = i.CreatedAt + days*24*3600*1000
	s.invitations[i.ID] = i
	s.emitLocked("organizationInvitation.created", i.ID, s.invitationJSONLocked(i), requestInfo(r))
	s.sendInvitationEmailLocked(i, o)
	writeJSON(w, http.StatusOK, s.invitationJSONLocked(i))
}

func (s *Server) orgInvitationLocked(w http.ResponseWriter, r *http.Request) *invitation {
	o := s.orgByIDOrSlugLocked(r.PathValue("id"))
	if o == nil {
		writeAPIError(w, errOrgNotFound())
		return nil
	}
	i := s.invitations[r.PathValue("inv")]
	if i == nil || i.OrgID != o.ID {
		writeAPIError(w, errNotFound("organization invitation"))
		return nil
	}
	return i
}

func (s *Server) getInvitation(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.orgInvitationLocked(w, r); i != nil {
		writeJSON(w, http.StatusOK, s.invitationJSONLocked(i))
	}
}

func (s *Server) revokeInvitation(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.orgInvitationLocked(w, r)
	if i == nil {
		return
	}
	if i.Status != "pending" {
		writeAPIError(w, errOrgInvitationNotPending())
		return
	}
	i.Status = "revoked"
	i.UpdatedAt = s.stampLocked()
	s.emitLocked("organizationInvitation.revoked", i.ID, s.invitationJSONLocked(i), requestInfo(r))
	writeJSON(w, http.StatusOK, s.invitationJSONLocked(i))
}

// listInvitationsLocked filters by status (repeatable) and email_address, newest first.
func (s *Server) listInvitationsLocked(w http.ResponseWriter, r *http.Request, keep func(*invitation) bool) {
	limit, offset, e := page(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	q := r.URL.Query()
	statuses, email, query := q["status"], q.Get("email_address"), strings.ToLower(q.Get("query"))
	var all []*invitation
	for _, i := range s.invitations {
		if !keep(i) || (len(statuses) > 0 && !slices.Contains(statuses, i.Status)) ||
			(email != "" && !strings.EqualFold(email, i.Email)) ||
			(query != "" && !strings.Contains(strings.ToLower(i.Email), query)) {
			continue
		}
		all = append(all, i)
	}
	asc := q.Get("order_by") == "created_at" || q.Get("order_by") == "+created_at"
	slices.SortFunc(all, func(a, b *invitation) int {
		if asc {
			return int(a.CreatedAt - b.CreatedAt)
		}
		return int(b.CreatedAt - a.CreatedAt)
	})
	writeJSON(w, http.StatusOK, listJSON[invitationJSON]{Data: pageOf(all, limit, offset, s.invitationJSONLocked), TotalCount: int64(len(all))})
}

func (s *Server) listInvitations(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgByIDOrSlugLocked(r.PathValue("id"))
	if o == nil {
		writeAPIError(w, errOrgNotFound())
		return
	}
	s.listInvitationsLocked(w, r, func(i *invitation) bool { return i.OrgID == o.ID })
}

// listInstanceInvitations answers GET /v1/organization_invitations.
func (s *Server) listInstanceInvitations(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listInvitationsLocked(w, r, func(*invitation) bool { return true })
}

// listUserInvitations answers GET /v1/users/{id}/organization_invitations: the
// organization invitations sent to the user's email addresses.
func (s *Server) listUserInvitations(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(w, r)
	if u == nil {
		return
	}
	s.listInvitationsLocked(w, r, func(i *invitation) bool { return u.hasEmail(i.Email) })
}

// acceptInvitationLocked accepts invitation i for u, once u has signed up or signed in
// with its ticket: organizationInvitation.accepted, then organizationMembership.created
// with the invitation's role and metadata (unless u is a member already).
func (s *Server) acceptInvitationLocked(i *invitation, u *user, src reqInfo) {
	i.Status = "accepted"
	i.UserID = u.ID
	i.UpdatedAt = s.stampLocked()
	s.emitLocked("organizationInvitation.accepted", i.ID, s.invitationJSONLocked(i), src)
	if s.membershipLocked(i.OrgID, u.ID) != nil {
		return
	}
	s.insertMembershipLocked(&membership{OrgID: i.OrgID, UserID: u.ID, Role: i.Role,
		PublicMetadata: i.PublicMetadata, PrivateMetadata: i.PrivateMetadata}, src)
}
