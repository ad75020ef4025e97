package clerkdev

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// SeedPassword is the password of every default seed user.
const SeedPassword = "password"

// Seed is the emulator's initial state. CLERKDEV_SEED names a JSON file of this shape:
//
//	{
//	  "permissions": [
//	    {"key": "org:invoices:read", "name": "Read invoices", "description": "View invoices."}
//	  ],
//	  "roles": [
//	    {"key": "org:billing", "name": "Billing", "description": "Handles invoices.",
//	     "permissions": ["org:sys_memberships:read", "org:invoices:read"]}
//	  ],
//	  "users": [
//	    {"email": "alice@example.com", "first_name": "Alice", "last_name": "Admin", "password": "password"}
//	  ],
//	  "organizations": [
//	    {"name": "Acme Inc", "slug": "acme"}
//	  ],
//	  "memberships": [
//	    {"email": "alice@example.com", "slug": "acme", "role": "org:admin"}
//	  ],
//	  "jwt_templates": [
//	    {"name": "supabase", "lifetime": 3600,
//	     "claims": {"aud": "authenticated", "email": "{{user.primary_email_address}}", "org": "{{org.slug}}"}}
//	  ]
//	}
//
// "permissions" adds custom permissions to the instance's (org:projects:read and
// org:projects:manage, besides the system permissions org:sys_*); "roles" adds custom
// roles, whose "permissions" name system or custom permission keys. A role keyed
// org:admin or org:member redefines that default role. "id" may be given for users and
// organizations; otherwise a stable id is derived from the email's local part or the
// slug (user_2alice000…, org_2acme000…). "password" defaults to SeedPassword, "slug" to
// one derived from the name, and "role" accepts a role key with or without "org:"
// ("admin", "org:admin"). An organization's created_by is its first admin in the list.
// "jwt_templates" is optional (see SeedJWTTemplate; the built-in seed has none, like a
// new Clerk instance).
type Seed struct {
	Permissions   []SeedPermission   `json:"permissions,omitempty"`
	Roles         []SeedRole         `json:"roles,omitempty"`
	Users         []SeedUser         `json:"users"`
	Organizations []SeedOrganization `json:"organizations"`
	Memberships   []SeedMembership   `json:"memberships"`
	JWTTemplates  []SeedJWTTemplate  `json:"jwt_templates,omitempty"`
	// Domains are organization domains (domains.go); EnterpriseConnections are
	// enterprise SSO connections (enterprise.go).
	Domains               []SeedDomain     `json:"domains,omitempty"`
	EnterpriseConnections []SeedConnection `json:"enterprise_connections,omitempty"`
}

// SeedDomain is a domain of the organization with Slug. EnrollmentMode defaults to
// manual_invitation and Verified to true, as for the Backend API's POST.
type SeedDomain struct {
	Slug           string `json:"slug"`
	Name           string `json:"name"`
	EnrollmentMode string `json:"enrollment_mode,omitempty"`
	Verified       *bool  `json:"verified,omitempty"`
}

// SeedPermission is a custom permission of the seed; Key is "org:<feature>:<action>".
type SeedPermission struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// SeedRole is a role of the seed; Permissions are permission keys.
type SeedRole struct {
	Key         string   `json:"key"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Permissions []string `json:"permissions"`
}

// SeedUser is a user of the seed.
type SeedUser struct {
	ID        string `json:"id,omitempty"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Password  string `json:"password,omitempty"`
}

// SeedOrganization is an organization of the seed.
type SeedOrganization struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	Slug string `json:"slug,omitempty"`
}

// SeedMembership makes the user with Email a member of the organization with Slug.
type SeedMembership struct {
	Email string `json:"email"`
	Slug  string `json:"slug"`
	Role  string `json:"role"`
}

// DefaultSeed returns a custom role, org:viewer (reads members and projects, held by
// nobody), three users and two organizations, all with password "password":
//
//	alice@example.com  Alice Admin  user_2alice000000000000000000000  admin of acme, member of globex
//	bob@example.com    Bob Member   user_2bob00000000000000000000000  member of acme
//	carol@example.com  Carol Owner  user_2carol000000000000000000000  admin of globex
//	Acme Inc  slug acme    org_2acme0000000000000000000000
//	Globex    slug globex  org_2globex00000000000000000000
func DefaultSeed() Seed {
	return Seed{
		Roles: []SeedRole{
			{Key: "org:viewer", Name: "Viewer", Description: "Reads the members and the projects.",
				Permissions: []string{"org:sys_memberships:read", "org:projects:read"}},
		},
		Users: []SeedUser{
			{Email: "alice@example.com", FirstName: "Alice", LastName: "Admin"},
			{Email: "bob@example.com", FirstName: "Bob", LastName: "Member"},
			{Email: "carol@example.com", FirstName: "Carol", LastName: "Owner"},
		},
		Organizations: []SeedOrganization{
			{Name: "Acme Inc", Slug: "acme"},
			{Name: "Globex", Slug: "globex"},
		},
		Memberships: []SeedMembership{
			{Email: "alice@example.com", Slug: "acme", Role: RoleAdmin},
			{Email: "bob@example.com", Slug: "acme", Role: RoleMember},
			{Email: "carol@example.com", Slug: "globex", Role: RoleAdmin},
			{Email: "alice@example.com", Slug: "globex", Role: RoleMember},
		},
	}
}

// DevSeed is DefaultSeed plus an enterprise customer, as `make run` seeds it: Initech
// (slug initech), whose admin bill@initech.test (Bill Lumbergh) signs in with the
// SAML connection "Initech Okta" for initech.test (no password: see enterprise.go).
// Its domain is not added: docs/enterprise.md walks through adding it.
func DevSeed() Seed {
	s := DefaultSeed()
	s.Users = append(s.Users, SeedUser{Email: "bill@initech.test", FirstName: "Bill", LastName: "Lumbergh"})
	s.Organizations = append(s.Organizations, SeedOrganization{Name: "Initech", Slug: "initech"})
	s.Memberships = append(s.Memberships, SeedMembership{Email: "bill@initech.test", Slug: "initech", Role: RoleAdmin})
	s.EnterpriseConnections = []SeedConnection{{Name: "Initech Okta", Domain: "initech.test", Provider: "saml_okta"}}
	return s
}

// LoadSeed reads a seed JSON file (see Seed). Unknown fields are an error.
func LoadSeed(path string) (Seed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, fmt.Errorf("clerkdev: read seed: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Seed
	if err := dec.Decode(&s); err != nil {
		return Seed{}, fmt.Errorf("clerkdev: parse seed %s: %w", path, err)
	}
	return s, nil
}

// SeedAccounts returns the seed users' emails and passwords, for printing; a user at a
// domain with an enterprise connection has no password ("").
func (s *Server) SeedAccounts() []SeedUser {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SeedUser, 0, len(s.seed.Users))
	for _, u := range s.seed.Users {
		if s.connectionForLocked(u.Email) != nil {
			u.Password = ""
		} else if u.Password == "" {
			u.Password = SeedPassword
		}
		out = append(out, u)
	}
	return out
}

// loadSeed creates the seed objects; it emits no webhooks (see DeliverSeed).
func (s *Server) loadSeed(seed Seed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seed = seed
	if err := s.loadSeedRolesLocked(seed); err != nil {
		return err
	}
	if err := s.loadConnectionsLocked(seed.EnterpriseConnections); err != nil {
		return err
	}
	hashes := map[string][]byte{}
	byEmail := map[string]*user{}
	for _, su := range seed.Users {
		email := strings.TrimSpace(su.Email)
		if !validEmail(email) {
			return fmt.Errorf("clerkdev: seed user %q: invalid email", su.Email)
		}
		if byEmail[strings.ToLower(email)] != nil {
			return fmt.Errorf("clerkdev: seed user %q: duplicate email", su.Email)
		}
		pw := su.Password
		if pw == "" {
			pw = SeedPassword
		}
		if hashes[pw] == nil {
			h, err := hashPassword(pw)
			if err != nil {
				return fmt.Errorf("clerkdev: seed user %q: %w", su.Email, err)
			}
			hashes[pw] = h
		}
		local := strings.SplitN(email, "@", 2)[0]
		id := su.ID
		if id == "" {
			id = seedID("user", local)
		}
		if s.users[id] != nil {
			return fmt.Errorf("clerkdev: seed user %q: duplicate id %s", su.Email, id)
		}
		u := &user{ID: id, Emails: []emailAddr{{ID: seedID("idn", local), Address: email}},
			FirstName: strPtr(su.FirstName), LastName: strPtr(su.LastName), PasswordHash: hashes[pw]}
		u.CreatedAt = s.stampLocked()
		u.UpdatedAt = u.CreatedAt
		u.PasswordSetAt = ptrTo(u.CreatedAt)
		if s.connectionForLocked(email) != nil { // signs in with SSO only
			u.PasswordHash, u.PasswordSetAt = nil, nil
		}
		s.users[id] = u
		byEmail[strings.ToLower(email)] = u
	}
	bySlug := map[string]*org{}
	for _, so := range seed.Organizations {
		slug := so.Slug
		if slug == "" {
			slug = slugify(so.Name)
		}
		if so.Name == "" || !validSlug.MatchString(slug) || bySlug[slug] != nil {
			return fmt.Errorf("clerkdev: seed organization %q: missing name, invalid or duplicate slug %q", so.Name, slug)
		}
		id := so.ID
		if id == "" {
			id = seedID("org", slug)
		}
		o := &org{ID: id, Name: so.Name, Slug: slug, AdminDeleteEnabled: true}
		o.CreatedAt = s.stampLocked()
		o.UpdatedAt = o.CreatedAt
		s.orgs[id] = o
		bySlug[slug] = o
	}
	for _, sm := range seed.Memberships {
		u, o, role := byEmail[strings.ToLower(sm.Email)], bySlug[sm.Slug], s.normalizeRoleLocked(sm.Role)
		if u == nil || o == nil || role == "" {
			return fmt.Errorf("clerkdev: seed membership %s in %s: unknown user, organization or role %q", sm.Email, sm.Slug, sm.Role)
		}
		if s.membershipLocked(o.ID, u.ID) != nil {
			return fmt.Errorf("clerkdev: seed membership %s in %s: duplicate", sm.Email, sm.Slug)
		}
		local := strings.SplitN(u.primaryEmail(), "@", 2)[0]
		m := &membership{ID: seedID("orgmem", local+o.Slug), OrgID: o.ID, UserID: u.ID, Role: role}
		m.CreatedAt = s.stampLocked()
		m.UpdatedAt = m.CreatedAt
		s.memberships[m.ID] = m
		if role == RoleAdmin && o.CreatedBy == "" {
			o.CreatedBy = u.ID
		}
	}
	if err := s.loadSeedDomainsLocked(seed.Domains, bySlug); err != nil {
		return err
	}
	return s.loadJWTTemplatesLocked(seed.JWTTemplates)
}

// loadSeedDomainsLocked creates the seed's domains, without webhooks or enrollment: the
// seed's memberships say who is in which organization.
func (s *Server) loadSeedDomainsLocked(domains []SeedDomain, bySlug map[string]*org) error {
	for _, sd := range domains {
		o := bySlug[sd.Slug]
		mode := cmp.Or(sd.EnrollmentMode, enrollManual)
		name := strings.ToLower(strings.TrimSpace(sd.Name))
		if o == nil || !validDomain.MatchString(name) || !validEnrollmentMode(mode) {
			return fmt.Errorf("clerkdev: seed domain %q of %q: unknown organization, invalid name or enrollment mode", sd.Name, sd.Slug)
		}
		d := &orgDomain{ID: seedID("orgdmn", name), OrgID: o.ID, Name: name, EnrollmentMode: mode,
			Verified: sd.Verified == nil || *sd.Verified}
		if s.domains[d.ID] != nil {
			return fmt.Errorf("clerkdev: seed domain %q: duplicate", sd.Name)
		}
		d.CreatedAt = s.stampLocked()
		d.UpdatedAt = d.CreatedAt
		s.domains[d.ID] = d
	}
	return nil
}

// loadSeedRolesLocked creates the instance's permissions and default roles, then the
// seed's custom permissions and roles.
func (s *Server) loadSeedRolesLocked(seed Seed) error {
	if err := s.initRolesLocked(); err != nil {
		return err
	}
	for _, sp := range seed.Permissions {
		if e := checkPermissionKey(sp.Key); e != nil || sp.Name == "" || s.permissionByKeyLocked(sp.Key) != nil {
			return fmt.Errorf("clerkdev: seed permission %q: missing name, invalid or duplicate key", sp.Key)
		}
		s.addPermissionLocked(sp, permissionCustom)
	}
	for _, sr := range seed.Roles {
		if e := checkRoleKey(sr.Key); e != nil || sr.Name == "" {
			return fmt.Errorf("clerkdev: seed role %q: missing name or invalid key", sr.Key)
		}
		if err := s.defineRoleLocked(sr); err != nil {
			return err
		}
	}
	return nil
}

// DeliverSeed queues permission.created for the custom permissions, role.created for the
// custom roles (the default roles exist on every instance), then user.created,
// organization.created, organizationMembership.created and organizationDomain.created
// for the seed objects that still exist, so an app started next to the emulator learns
// them through its webhook endpoint.
func (s *Server) DeliverSeed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	var none reqInfo
	for _, p := range sortedByCreation(s.permissions, func(p *permission) int64 { return p.CreatedAt }) {
		if p.Type == permissionCustom {
			s.emitLocked("permission.created", p.ID, permissionJSONOf(p), none)
		}
	}
	for _, r := range sortedByCreation(s.roles, func(r *role) int64 { return r.CreatedAt }) {
		if !isDefaultRole(r.Key) {
			s.emitLocked("role.created", r.ID, s.roleJSONLocked(r), none)
		}
	}
	for _, su := range s.seed.Users {
		if u := s.userByEmailLocked(su.Email); u != nil {
			s.emitLocked("user.created", u.ID, s.userJSONLocked(u), none)
		}
	}
	for _, so := range s.seed.Organizations {
		slug := so.Slug
		if slug == "" {
			slug = slugify(so.Name)
		}
		if o := s.orgByIDOrSlugLocked(slug); o != nil {
			s.emitLocked("organization.created", o.ID, s.orgJSONLocked(o), none)
		}
	}
	for _, sm := range s.seed.Memberships {
		u, o := s.userByEmailLocked(sm.Email), s.orgByIDOrSlugLocked(sm.Slug)
		if u == nil || o == nil {
			continue
		}
		if m := s.membershipLocked(o.ID, u.ID); m != nil {
			s.emitLocked("organizationMembership.created", m.ID, s.membershipJSONLocked(m), none)
		}
	}
	for _, d := range sortedByCreation(s.domains, func(d *orgDomain) int64 { return d.CreatedAt }) {
		s.emitLocked("organizationDomain.created", d.ID, s.domainJSONLocked(d), none)
	}
}
