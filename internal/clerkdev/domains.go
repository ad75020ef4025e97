package clerkdev

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Organization domains ("Verified domains" in Clerk's dashboard): the Backend API's
// /v1/organizations/{id}/domains routes, their organizationDomain.* webhooks, and the
// enrollment they drive.
//
// # Verification
//
// Clerk verifies a domain added through its Frontend API (the <OrganizationProfile/>
// component) with an affiliation email: a code sent to an address at the domain. The
// Backend API trusts its caller instead: POST takes "verified" (default true, as
// Clerk's reference says) and PATCH can set it. The emulator does the same, so a
// domain is verified when it is created or patched with verified=true; the seed's
// "domains" take "verified" too. A verified domain's verification is
// {status: "verified", strategy: "admin"}; an unverified one's is
// {status: "unverified", strategy: "email_code"}, waiting for an affiliation code the
// emulator never sends.
//
// # Enrollment
//
// Once a domain is verified, every user with an email address at it who is not a
// member of the organization is enrolled by its enrollment_mode, and so is every user
// created later with such an address:
//
//   - manual_invitation: nothing;
//   - automatic_invitation: a pending organization invitation with the default role
//     (org:member), no inviter and no email sent (organizationInvitation.created);
//   - automatic_suggestion: a pending organization suggestion (see suggestions.go).
//
// A user with a pending invitation or suggestion to the organization gets no second one.

// Enrollment modes of an organization domain.
const (
	enrollManual     = "manual_invitation"
	enrollInvitation = "automatic_invitation"
	enrollSuggestion = "automatic_suggestion"
)

// orgDomain is one domain of an organization.
type orgDomain struct {
	ID             string
	OrgID          string
	Name           string // lower case
	EnrollmentMode string
	Verified       bool
	CreatedAt      int64
	UpdatedAt      int64
}

// domainVerificationJSON is Clerk's organization_domain verification.
type domainVerificationJSON struct {
	Status   string `json:"status"`
	Strategy string `json:"strategy"`
	Attempts int64  `json:"attempts"`
	ExpireAt *int64 `json:"expire_at"`
}

// domainJSON is Clerk's organization_domain object (clerk-sdk-go's OrganizationDomain,
// @clerk/backend's OrganizationDomainJSON).
type domainJSON struct {
	Object                  string                  `json:"object"`
	ID                      string                  `json:"id"`
	OrganizationID          string                  `json:"organization_id"`
	Name                    string                  `json:"name"`
	EnrollmentMode          string                  `json:"enrollment_mode"`
	AffiliationEmailAddress *string                 `json:"affiliation_email_address"`
	Verification            *domainVerificationJSON `json:"verification"`
	TotalPendingInvitations int64                   `json:"total_pending_invitations"`
	TotalPendingSuggestions int64                   `json:"total_pending_suggestions"`
	CreatedAt               int64                   `json:"created_at"`
	UpdatedAt               int64                   `json:"updated_at"`
}

func (s *Server) domainJSONLocked(d *orgDomain) domainJSON {
	v := &domainVerificationJSON{Status: "unverified", Strategy: "email_code"}
	if d.Verified {
		v = &domainVerificationJSON{Status: "verified", Strategy: "admin"}
	}
	out := domainJSON{Object: "organization_domain", ID: d.ID, OrganizationID: d.OrgID, Name: d.Name,
		EnrollmentMode: d.EnrollmentMode, Verification: v, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	for _, i := range s.invitations {
		if i.OrgID == d.OrgID && i.Status == "pending" && emailDomain(i.Email) == d.Name {
			out.TotalPendingInvitations++
		}
	}
	for _, sg := range s.suggestions {
		if sg.DomainID == d.ID && sg.Status == "pending" {
			out.TotalPendingSuggestions++
		}
	}
	return out
}

// validDomain is a host name with at least two labels, such as initech.test.
var validDomain = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)

// commonEmailDomains are providers whose addresses anyone can get; Clerk refuses
// them as organization domains. The emulator knows a few.
var commonEmailDomains = []string{"gmail.com", "googlemail.com", "outlook.com", "hotmail.com",
	"live.com", "yahoo.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com"}

// emailDomain is the lower-cased domain of an email address, "" without one.
func emailDomain(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(email[at+1:])
}

func validEnrollmentMode(m string) bool {
	return m == enrollManual || m == enrollInvitation || m == enrollSuggestion
}

func errInvalidEnrollmentMode() *apiError {
	return errParamValueInvalid("enrollment_mode",
		"enrollment_mode must be one of manual_invitation, automatic_invitation or automatic_suggestion.")
}

type domainInput struct {
	Name           *string `json:"name"`
	EnrollmentMode *string `json:"enrollment_mode"`
	Verified       *bool   `json:"verified"`
}

// createDomain answers POST /v1/organizations/{id}/domains.
func (s *Server) createDomain(w http.ResponseWriter, r *http.Request) {
	var in domainInput
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
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		writeAPIError(w, errParamMissing("name"))
		return
	}
	mode := enrollManual
	if in.EnrollmentMode != nil {
		mode = *in.EnrollmentMode
	}
	verified := in.Verified == nil || *in.Verified
	d, e := s.addDomainLocked(o, *in.Name, mode, verified, requestInfo(r))
	if e != nil {
		writeAPIError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, s.domainJSONLocked(d))
}

// addDomainLocked checks and adds a domain to o, emits organizationDomain.created and
// enrolls the users it matches.
func (s *Server) addDomainLocked(o *org, name, mode string, verified bool, src reqInfo) (*orgDomain, *apiError) {
	name = strings.ToLower(strings.TrimSpace(name))
	switch {
	case !validDomain.MatchString(name):
		return nil, errParamInvalid("name", "name must be a valid domain name, such as example.com.")
	case slices.Contains(commonEmailDomains, name):
		return nil, errDomainCommon()
	case !validEnrollmentMode(mode):
		return nil, errInvalidEnrollmentMode()
	}
	for _, d := range s.domains {
		if d.Name == name && (d.OrgID == o.ID || d.Verified && verified) {
			return nil, errDomainExists(d.OrgID == o.ID)
		}
	}
	d := &orgDomain{ID: newID("orgdmn"), OrgID: o.ID, Name: name, EnrollmentMode: mode, Verified: verified}
	d.CreatedAt = s.stampLocked()
	d.UpdatedAt = d.CreatedAt
	s.domains[d.ID] = d
	s.emitLocked("organizationDomain.created", d.ID, s.domainJSONLocked(d), src)
	s.enrollDomainLocked(d, src)
	return d, nil
}

// orgDomainLocked finds the {domain_id} of the request's organization, or answers 404.
func (s *Server) orgDomainLocked(w http.ResponseWriter, r *http.Request) *orgDomain {
	o := s.orgByIDOrSlugLocked(r.PathValue("id"))
	if o == nil {
		writeAPIError(w, errOrgNotFound())
		return nil
	}
	d := s.domains[r.PathValue("domain_id")]
	if d == nil || d.OrgID != o.ID {
		writeAPIError(w, errDomainNotFound())
		return nil
	}
	return d
}

// updateDomain answers PATCH /v1/organizations/{id}/domains/{domain_id}: the
// enrollment mode, the verification, or both.
func (s *Server) updateDomain(w http.ResponseWriter, r *http.Request) {
	var in domainInput
	if e := decodeBody(r, &in); e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.orgDomainLocked(w, r)
	if d == nil {
		return
	}
	if in.EnrollmentMode != nil && !validEnrollmentMode(*in.EnrollmentMode) {
		writeAPIError(w, errInvalidEnrollmentMode())
		return
	}
	if in.Verified != nil && *in.Verified && !d.Verified {
		for _, other := range s.domains {
			if other != d && other.Name == d.Name && other.Verified {
				writeAPIError(w, errDomainExists(false))
				return
			}
		}
	}
	if in.EnrollmentMode != nil {
		d.EnrollmentMode = *in.EnrollmentMode
	}
	if in.Verified != nil {
		d.Verified = *in.Verified
	}
	d.UpdatedAt = s.stampLocked()
	src := requestInfo(r)
	s.emitLocked("organizationDomain.updated", d.ID, s.domainJSONLocked(d), src)
	s.enrollDomainLocked(d, src)
	writeJSON(w, http.StatusOK, s.domainJSONLocked(d))
}

// deleteDomain answers DELETE /v1/organizations/{id}/domains/{domain_id}. The
// invitations it sent stay pending; its pending suggestions go with it.
func (s *Server) deleteDomain(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.orgDomainLocked(w, r)
	if d == nil {
		return
	}
	delete(s.domains, d.ID)
	for id, sg := range s.suggestions {
		if sg.DomainID == d.ID && sg.Status == "pending" {
			delete(s.suggestions, id)
		}
	}
	out := deletedJSON{Object: "organization_domain", ID: d.ID, Deleted: true}
	s.emitLocked("organizationDomain.deleted", d.ID, out, requestInfo(r))
	writeJSON(w, http.StatusOK, out)
}

// listDomains answers GET /v1/organizations/{id}/domains, oldest first, filtered by
// verified (true/false) and enrollment_mode (repeatable).
func (s *Server) listDomains(w http.ResponseWriter, r *http.Request) {
	limit, offset, e := page(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	q := r.URL.Query()
	verified, modes := q.Get("verified"), q["enrollment_mode"]
	if verified != "" && verified != "true" && verified != "false" {
		writeAPIError(w, errParamInvalid("verified", "verified must be true or false."))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgByIDOrSlugLocked(r.PathValue("id"))
	if o == nil {
		writeAPIError(w, errOrgNotFound())
		return
	}
	var all []*orgDomain
	for _, d := range s.domains {
		if d.OrgID != o.ID || (verified != "" && d.Verified != (verified == "true")) ||
			(len(modes) > 0 && !slices.Contains(modes, d.EnrollmentMode)) {
			continue
		}
		all = append(all, d)
	}
	slices.SortFunc(all, func(a, b *orgDomain) int { return int(a.CreatedAt - b.CreatedAt) })
	writeJSON(w, http.StatusOK, listJSON[domainJSON]{Data: pageOf(all, limit, offset, s.domainJSONLocked), TotalCount: int64(len(all))})
}

// deleteOrgDomainsLocked removes an organization's domains and suggestions with it.
func (s *Server) deleteOrgDomainsLocked(orgID string) {
	for id, d := range s.domains {
		if d.OrgID == orgID {
			delete(s.domains, id)
		}
	}
	for id, sg := range s.suggestions {
		if sg.OrgID == orgID {
			delete(s.suggestions, id)
		}
	}
}

// enrollDomainLocked enrolls every user matching d (see the package comment above).
func (s *Server) enrollDomainLocked(d *orgDomain, src reqInfo) {
	if !d.Verified || d.EnrollmentMode == enrollManual {
		return
	}
	for _, u := range sortedByCreation(s.users, func(u *user) int64 { return u.CreatedAt }) {
		s.enrollUserLocked(d, u, src)
	}
}

// enrollNewUserLocked enrolls a new user in the organizations of the verified domains
// of its email addresses.
func (s *Server) enrollNewUserLocked(u *user, src reqInfo) {
	for _, d := range sortedByCreation(s.domains, func(d *orgDomain) int64 { return d.CreatedAt }) {
		if d.Verified && d.EnrollmentMode != enrollManual {
			s.enrollUserLocked(d, u, src)
		}
	}
}

// enrollUserLocked gives u the invitation or suggestion of d when one of its addresses
// is at d and it is neither a member nor invited or suggested already.
func (s *Server) enrollUserLocked(d *orgDomain, u *user, src reqInfo) {
	email := ""
	for _, e := range u.Emails {
		if emailDomain(e.Address) == d.Name {
			email = e.Address
			break
		}
	}
	if email == "" || s.membershipLocked(d.OrgID, u.ID) != nil {
		return
	}
	switch d.EnrollmentMode {
	case enrollInvitation:
		for _, i := range s.invitations {
			if i.OrgID == d.OrgID && i.Status == "pending" && u.hasEmail(i.Email) {
				return
			}
		}
		i := &invitation{ID: newID("orginv"), OrgID: d.OrgID, Email: email, Role: RoleMember, Status: "pending"}
		i.CreatedAt = s.stampLocked()
		i.UpdatedAt = i.CreatedAt
		i.ExpiresAt = i.CreatedAt + 30*24*3600*1000
		s.invitations[i.ID] = i
		s.emitLocked("organizationInvitation.created", i.ID, s.invitationJSONLocked(i), src)
	case enrollSuggestion:
		s.suggestLocked(d, u)
	}
}
