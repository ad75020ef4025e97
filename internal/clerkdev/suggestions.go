package clerkdev

// Organization suggestions: what a verified domain in automatic_suggestion mode offers
// a user with an address at it (Clerk's organization_suggestion, a Frontend API object
// with no Backend API route). The emulator keeps them so a domain's
// total_pending_suggestions counts them.

// suggestion is one organization suggestion.
type suggestion struct {
	ID        string
	OrgID     string
	DomainID  string
	UserID    string
	Status    string // pending, accepted
	CreatedAt int64
	UpdatedAt int64
}

// suggestionJSON is Clerk's organization_suggestion object.
type suggestionJSON struct {
	Object                 string                 `json:"object"`
	ID                     string                 `json:"id"`
	PublicOrganizationData publicOrganizationJSON `json:"public_organization_data"`
	Status                 string                 `json:"status"`
	CreatedAt              int64                  `json:"created_at"`
	UpdatedAt              int64                  `json:"updated_at"`
}

func (s *Server) suggestionJSONLocked(sg *suggestion) suggestionJSON {
	out := suggestionJSON{Object: "organization_suggestion", ID: sg.ID, Status: sg.Status,
		CreatedAt: sg.CreatedAt, UpdatedAt: sg.UpdatedAt}
	if o := s.orgs[sg.OrgID]; o != nil {
		out.PublicOrganizationData = publicOrganizationJSON{ID: o.ID, Name: o.Name, Slug: o.Slug,
			ImageURL: s.imageURLLocked(o.ID)}
	}
	return out
}

// suggestLocked suggests d's organization to u unless a suggestion is there already.
func (s *Server) suggestLocked(d *orgDomain, u *user) {
	for _, sg := range s.suggestions {
		if sg.OrgID == d.OrgID && sg.UserID == u.ID {
			return
		}
	}
	sg := &suggestion{ID: newID("orgsugg"), OrgID: d.OrgID, DomainID: d.ID, UserID: u.ID, Status: "pending"}
	sg.CreatedAt = s.stampLocked()
	sg.UpdatedAt = sg.CreatedAt
	s.suggestions[sg.ID] = sg
}
