package clerkdev

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// orgJSON is Clerk's organization object; its keys are those of organization.created.
type orgJSON struct {
	Object                               string          `json:"object"`
	ID                                   string          `json:"id"`
	Name                                 string          `json:"name"`
	Slug                                 string          `json:"slug"`
	ImageURL                             string          `json:"image_url"`
	HasImage                             bool            `json:"has_image"`
	MembersCount                         int64           `json:"members_count"`
	MissingMemberWithElevatedPermissions bool            `json:"missing_member_with_elevated_permissions"`
	PendingInvitationsCount              int64           `json:"pending_invitations_count"`
	MaxAllowedMemberships                int64           `json:"max_allowed_memberships"`
	AdminDeleteEnabled                   bool            `json:"admin_delete_enabled"`
	PublicMetadata                       json.RawMessage `json:"public_metadata"`
	PrivateMetadata                      json.RawMessage `json:"private_metadata"`
	CreatedBy                            string          `json:"created_by"`
	CreatedAt                            int64           `json:"created_at"`
	UpdatedAt                            int64           `json:"updated_at"`
}

func (s *Server) orgJSONLocked(o *org) orgJSON {
	hasAdmin := false
	for _, m := range s.memberships {
		if m.OrgID == o.ID && m.Role == RoleAdmin {
			hasAdmin = true
			break
		}
	}
	return orgJSON{
		Object: "organization", ID: o.ID, Name: o.Name, Slug: o.Slug,
		ImageURL:                             s.imageURLLocked(o.ID),
		MembersCount:                         s.membersCountLocked(o.ID),
		MissingMemberWithElevatedPermissions: !hasAdmin,
		PendingInvitationsCount:              s.pendingInvitationsCountLocked(o.ID),
		MaxAllowedMemberships:                o.MaxAllowedMemberships,
		AdminDeleteEnabled:                   o.AdminDeleteEnabled,
		PublicMetadata:                       metaOrEmpty(o.PublicMetadata),
		PrivateMetadata:                      metaOrEmpty(o.PrivateMetadata),
		CreatedBy:                            o.CreatedBy,
		CreatedAt:                            o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slugify derives a slug from a name as Clerk does: lower case, dashes between words.
func slugify(name string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
}

var validSlug = regexp.MustCompile(`^[a-z0-9]+(?:[-_][a-z0-9]+)*$`)

type orgInput struct {
	Name                  *string         `json:"name"`
	Slug                  *string         `json:"slug"`
	CreatedBy             *string         `json:"created_by"`
	MaxAllowedMemberships *int64          `json:"max_allowed_memberships"`
	AdminDeleteEnabled    *bool           `json:"admin_delete_enabled"`
	PublicMeta            json.RawMessage `json:"public_metadata"`
	PrivateMeta           json.RawMessage `json:"private_metadata"`
}

func (s *Server) checkSlugLocked(slug, selfID string) *apiError {
	if !validSlug.MatchString(slug) {
		return errParamInvalid("slug", "slug must contain only lowercase alphanumeric characters and dashes.")
	}
	if o := s.orgByIDOrSlugLocked(slug); o != nil && o.ID != selfID {
		return errIdentifierExists("slug", "That slug is taken. Please try another.")
	}
	return nil
}

// createOrgLocked creates an organization; created_by becomes its first org:admin.
func (s *Server) createOrgLocked(in orgInput, src reqInfo) (*org, *apiError) {
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return nil, errParamMissing("name")
	}
	if e := in.metadata().check(); e != nil {
		return nil, e
	}
	slug := slugify(*in.Name)
	if in.Slug != nil && *in.Slug != "" {
		slug = *in.Slug
	}
	if e := s.checkSlugLocked(slug, ""); e != nil {
		return nil, e
	}
	var creator *user
	if in.CreatedBy != nil && *in.CreatedBy != "" {
		if creator = s.users[*in.CreatedBy]; creator == nil {
			return nil, errCreatorNotFound(*in.CreatedBy)
		}
	}
	o := &org{ID: newID("org"), Name: strings.TrimSpace(*in.Name), Slug: slug, AdminDeleteEnabled: true,
		PublicMetadata: in.PublicMeta, PrivateMetadata: in.PrivateMeta}
	if in.MaxAllowedMemberships != nil {
		o.MaxAllowedMemberships = *in.MaxAllowedMemberships
	}
	if creator != nil {
		o.CreatedBy = creator.ID
	}
	o.CreatedAt = s.stampLocked()
	o.UpdatedAt = o.CreatedAt
	s.orgs[o.ID] = o
	s.emitLocked("organization.created", o.ID, s.orgJSONLocked(o), src)
	if creator != nil {
		s.addMembershipLocked(o, creator, RoleAdmin, src)
	}
	return o, nil
}

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request) {
	var in orgInput
	if e := decodeBody(r, &in); e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, e := s.createOrgLocked(in, requestInfo(r))
	if e != nil {
		writeAPIError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, s.orgJSONLocked(o))
}

// getOrg answers GET /v1/organizations/{idOrSlug}.
func (s *Server) getOrg(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgByIDOrSlugLocked(r.PathValue("id"))
	if o == nil {
		writeAPIError(w, errOrgNotFound())
		return
	}
	writeJSON(w, http.StatusOK, s.orgJSONLocked(o))
}

func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request) {
	limit, offset, e := page(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	q := r.URL.Query()
	query, userIDs := strings.ToLower(q.Get("query")), q["user_id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*org
	for _, o := range s.orgs {
		if query != "" && !strings.Contains(strings.ToLower(o.ID+" "+o.Name+" "+o.Slug), query) {
			continue
		}
		if len(userIDs) > 0 && !slices.ContainsFunc(userIDs, func(uid string) bool {
			return s.membershipLocked(o.ID, uid) != nil
		}) {
			continue
		}
		all = append(all, o)
	}
	order := q.Get("order_by")
	desc := order == "" || strings.HasPrefix(order, "-")
	field := strings.TrimLeft(order, "+-")
	slices.SortFunc(all, func(a, b *org) int {
		c := 0
		if field == "name" {
			c = strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		}
		if c == 0 {
			c = int(a.CreatedAt - b.CreatedAt)
		}
		if desc {
			return -c
		}
		return c
	})
	writeJSON(w, http.StatusOK, listJSON[orgJSON]{Data: pageOf(all, limit, offset, s.orgJSONLocked), TotalCount: int64(len(all))})
}

// updateOrg answers PATCH /v1/organizations/{id}; metadata given here replace the stored
// ones (see metadata.go for the merging route).
func (s *Server) updateOrg(w http.ResponseWriter, r *http.Request) {
	var in orgInput
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
	o := s.orgByIDOrSlugLocked(r.PathValue("id"))
	if o == nil {
		writeAPIError(w, errOrgNotFound())
		return
	}
	if in.Slug != nil && *in.Slug != o.Slug {
		if e := s.checkSlugLocked(*in.Slug, o.ID); e != nil {
			writeAPIError(w, e)
			return
		}
		o.Slug = *in.Slug
	}
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			writeAPIError(w, errParamValueInvalid("name", "name is invalid. Must be not empty"))
			return
		}
		o.Name = strings.TrimSpace(*in.Name)
	}
	if in.MaxAllowedMemberships != nil {
		o.MaxAllowedMemberships = *in.MaxAllowedMemberships
	}
	if in.AdminDeleteEnabled != nil {
		o.AdminDeleteEnabled = *in.AdminDeleteEnabled
	}
	in.metadata().replace(&o.PublicMetadata, &o.PrivateMetadata, nil)
	o.UpdatedAt = s.stampLocked()
	s.emitLocked("organization.updated", o.ID, s.orgJSONLocked(o), requestInfo(r))
	writeJSON(w, http.StatusOK, s.orgJSONLocked(o))
}

// deleteOrg removes the organization with its memberships and invitations; sessions
// whose active organization it was fall back to no active organization.
func (s *Server) deleteOrg(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgByIDOrSlugLocked(r.PathValue("id"))
	if o == nil {
		writeAPIError(w, errOrgNotFound())
		return
	}
	for id, m := range s.memberships {
		if m.OrgID == o.ID {
			delete(s.memberships, id)
		}
	}
	for id, inv := range s.invitations {
		if inv.OrgID == o.ID {
			delete(s.invitations, id)
		}
	}
	for _, sess := range s.sessions {
		if sess.ActiveOrgID == o.ID {
			sess.ActiveOrgID = ""
		}
	}
	s.deleteOrgDomainsLocked(o.ID)
	delete(s.orgs, o.ID)
	d := deletedJSON{Object: "organization", ID: o.ID, Slug: o.Slug, Deleted: true}
	s.emitLocked("organization.deleted", o.ID, d, requestInfo(r))
	writeJSON(w, http.StatusOK, d)
}
