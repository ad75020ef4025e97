package clerkdev

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

type publicUserDataJSON struct {
	UserID          string  `json:"user_id"`
	FirstName       *string `json:"first_name"`
	LastName        *string `json:"last_name"`
	ProfileImageURL string  `json:"profile_image_url"`
	ImageURL        string  `json:"image_url"`
	HasImage        bool    `json:"has_image"`
	Identifier      string  `json:"identifier"`
}

// membershipJSON is Clerk's organization_membership object, with the full organization
// and the member's public data, as in the organizationMembership.* webhooks.
type membershipJSON struct {
	Object          string             `json:"object"`
	ID              string             `json:"id"`
	Role            string             `json:"role"`
	RoleName        string             `json:"role_name"`
	Permissions     []string           `json:"permissions"`
	PublicMetadata  json.RawMessage    `json:"public_metadata"`
	PrivateMetadata json.RawMessage    `json:"private_metadata"`
	Organization    orgJSON            `json:"organization"`
	PublicUserData  publicUserDataJSON `json:"public_user_data"`
	CreatedAt       int64              `json:"created_at"`
	UpdatedAt       int64              `json:"updated_at"`
}

func (s *Server) membershipJSONLocked(m *membership) membershipJSON {
	out := membershipJSON{
		Object: "organization_membership", ID: m.ID, Role: m.Role, RoleName: s.roleNameLocked(m.Role),
		Permissions:     s.rolePermissionsLocked(m.Role),
		PublicMetadata:  metaOrEmpty(m.PublicMetadata),
		PrivateMetadata: metaOrEmpty(m.PrivateMetadata),
		PublicUserData:  publicUserDataJSON{UserID: m.UserID},
		CreatedAt:       m.CreatedAt, UpdatedAt: m.UpdatedAt,
	}
	if o := s.orgs[m.OrgID]; o != nil {
		out.Organization = s.orgJSONLocked(o)
	}
	if u := s.users[m.UserID]; u != nil {
		img := s.imageURLLocked(u.ID)
		out.PublicUserData = publicUserDataJSON{UserID: u.ID, FirstName: u.FirstName, LastName: u.LastName,
			ProfileImageURL: img, ImageURL: img, Identifier: u.primaryEmail()}
	}
	return out
}

// addMembershipLocked creates a membership and emits organizationMembership.created.
func (s *Server) addMembershipLocked(o *org, u *user, role string, src reqInfo) *membership {
	return s.insertMembershipLocked(&membership{OrgID: o.ID, UserID: u.ID, Role: role}, src)
}

// insertMembershipLocked gives the new membership m its id and times, stores it and emits
// organizationMembership.created.
func (s *Server) insertMembershipLocked(m *membership, src reqInfo) *membership {
	m.ID = newID("orgmem")
	m.CreatedAt = s.stampLocked()
	m.UpdatedAt = m.CreatedAt
	s.memberships[m.ID] = m
	s.emitLocked("organizationMembership.created", m.ID, s.membershipJSONLocked(m), src)
	return m
}

type membershipInput struct {
	UserID *string `json:"user_id"`
	Role   *string `json:"role"`
}

func (s *Server) createMembership(w http.ResponseWriter, r *http.Request) {
	var in membershipInput
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
	if in.UserID == nil || *in.UserID == "" {
		writeAPIError(w, errParamMissing("user_id"))
		return
	}
	role, e := s.roleParamLocked(in.Role)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	u := s.users[*in.UserID]
	if u == nil {
		writeAPIError(w, errUserNotFound(*in.UserID))
		return
	}
	if s.membershipLocked(o.ID, u.ID) != nil {
		writeAPIError(w, errAlreadyMember(u.ID))
		return
	}
	if o.MaxAllowedMemberships > 0 && s.membersCountLocked(o.ID) >= o.MaxAllowedMemberships {
		writeAPIError(w, errMembershipQuotaExceeded(o.MaxAllowedMemberships))
		return
	}
	m := s.addMembershipLocked(o, u, role, requestInfo(r))
	writeJSON(w, http.StatusOK, s.membershipJSONLocked(m))
}

func (s *Server) updateMembership(w http.ResponseWriter, r *http.Request) {
	var in membershipInput
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
	m := s.membershipLocked(o.ID, r.PathValue("user_id"))
	if m == nil {
		writeAPIError(w, errNotFound("organization membership"))
		return
	}
	role, e := s.roleParamLocked(in.Role)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	m.Role = role
	m.UpdatedAt = s.stampLocked()
	s.emitLocked("organizationMembership.updated", m.ID, s.membershipJSONLocked(m), requestInfo(r))
	writeJSON(w, http.StatusOK, s.membershipJSONLocked(m))
}

// deleteMembership removes a member; that user's sessions lose the organization as
// their active one.
func (s *Server) deleteMembership(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgByIDOrSlugLocked(r.PathValue("id"))
	if o == nil {
		writeAPIError(w, errOrgNotFound())
		return
	}
	m := s.membershipLocked(o.ID, r.PathValue("user_id"))
	if m == nil {
		writeAPIError(w, errNotFound("organization membership"))
		return
	}
	out := s.membershipJSONLocked(m)
	delete(s.memberships, m.ID)
	out.Organization.MembersCount--
	for _, sess := range s.sessions {
		if sess.UserID == m.UserID && sess.ActiveOrgID == o.ID {
			sess.ActiveOrgID = ""
		}
	}
	s.emitLocked("organizationMembership.deleted", m.ID, out, requestInfo(r))
	writeJSON(w, http.StatusOK, out)
}

// listMembershipsLocked filters, orders (oldest first) and pages memberships.
func (s *Server) listMembershipsLocked(w http.ResponseWriter, r *http.Request, keep func(*membership) bool) {
	limit, offset, e := page(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	q := r.URL.Query()
	roles, userIDs, emails := q["role"], q["user_id"], q["email_address"]
	var all []*membership
	for _, m := range s.memberships {
		if !keep(m) || (len(roles) > 0 && !slices.Contains(roles, m.Role)) ||
			(len(userIDs) > 0 && !slices.Contains(userIDs, m.UserID)) {
			continue
		}
		if len(emails) > 0 {
			u := s.users[m.UserID]
			if u == nil || !slices.ContainsFunc(emails, func(e string) bool { return strings.EqualFold(e, u.primaryEmail()) }) {
				continue
			}
		}
		all = append(all, m)
	}
	desc := strings.HasPrefix(q.Get("order_by"), "-")
	slices.SortFunc(all, func(a, b *membership) int {
		if desc {
			return int(b.CreatedAt - a.CreatedAt)
		}
		return int(a.CreatedAt - b.CreatedAt)
	})
	writeJSON(w, http.StatusOK, listJSON[membershipJSON]{Data: pageOf(all, limit, offset, s.membershipJSONLocked), TotalCount: int64(len(all))})
}

func (s *Server) listMemberships(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgByIDOrSlugLocked(r.PathValue("id"))
	if o == nil {
		writeAPIError(w, errOrgNotFound())
		return
	}
	s.listMembershipsLocked(w, r, func(m *membership) bool { return m.OrgID == o.ID })
}

// listUserMemberships answers GET /v1/users/{id}/organization_memberships.
func (s *Server) listUserMemberships(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(w, r)
	if u == nil {
		return
	}
	s.listMembershipsLocked(w, r, func(m *membership) bool { return m.UserID == u.ID })
}
