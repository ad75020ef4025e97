package clerkdev

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSeed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name    string
		json    string
		wantErr string
		check   func(t *testing.T, s *Server)
	}{
		{
			name: "custom seed",
			json: `{"users":[{"email":"zoe@example.com","first_name":"Zoe","last_name":"Zed","password":"zoe-password"}],
				"organizations":[{"name":"Zeta Labs"}],
				"memberships":[{"email":"zoe@example.com","slug":"zeta-labs","role":"admin"}]}`,
			check: func(t *testing.T, s *Server) {
				s.mu.Lock()
				defer s.mu.Unlock()
				u := s.users[seedID("user", "zoe")]
				o := s.orgs[seedID("org", "zeta-labs")]
				if u == nil || o == nil || o.Slug != "zeta-labs" || o.CreatedBy != u.ID {
					t.Fatalf("user %v org %v, want zoe and zeta-labs created by zoe", u, o)
				}
				if m := s.membershipLocked(o.ID, u.ID); m == nil || m.Role != RoleAdmin {
					t.Fatalf("membership = %v, want org:admin", m)
				}
			},
		},
		{
			name: "custom roles and permissions",
			json: `{"permissions":[{"key":"org:invoices:read","name":"Read invoices"}],
				"roles":[{"key":"org:billing","name":"Billing","permissions":["org:sys_memberships:read","org:invoices:read"]},
					{"key":"org:member","name":"Member","permissions":["org:sys_memberships:read"]}],
				"users":[{"email":"bo@example.com"}],"organizations":[{"name":"Bee"}],
				"memberships":[{"email":"bo@example.com","slug":"bee","role":"billing"}]}`,
			check: func(t *testing.T, s *Server) {
				s.mu.Lock()
				defer s.mu.Unlock()
				if got := s.rolePermissionsLocked("org:billing"); len(got) != 2 || got[1] != "org:invoices:read" {
					t.Errorf("org:billing permissions = %v", got)
				}
				if got := s.rolePermissionsLocked(RoleMember); len(got) != 1 {
					t.Errorf("redefined org:member permissions = %v, want the seed's one", got)
				}
				if m := s.membershipLocked(seedID("org", "bee"), seedID("user", "bo")); m == nil || m.Role != "org:billing" {
					t.Errorf("membership = %+v, want org:billing", m)
				}
			},
		},
		{name: "system permission in the seed", json: `{"permissions":[{"key":"org:sys_x:read","name":"X"}]}`, wantErr: "invalid or duplicate key"},
		{name: "unknown permission in a role", json: `{"roles":[{"key":"org:x","name":"X","permissions":["org:nope:read"]}]}`, wantErr: "unknown permission"},
		{name: "unknown field", json: `{"users":[{"mail":"x@example.com"}]}`, wantErr: "unknown field"},
		{name: "unknown org in membership", json: `{"users":[{"email":"a@example.com"}],"memberships":[{"email":"a@example.com","slug":"none","role":"admin"}]}`, wantErr: "unknown user, organization or role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(tt.json), 0o600); err != nil {
				t.Fatal(err)
			}
			seed, err := LoadSeed(path)
			if err == nil {
				var s *Server
				s, err = New(Config{Seed: &seed, SigningKey: testKey()})
				if err == nil {
					defer s.Close()
					if tt.wantErr == "" {
						tt.check(t, s)
					}
				}
			}
			if tt.wantErr == "" && err != nil {
				t.Fatalf("err = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDefaultSeedIDs(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		seedID("user", "alice"): "user_2alice000000000000000000000",
		seedID("org", "acme"):   "org_2acme0000000000000000000000",
	}
	for got, w := range want {
		if got != w {
			t.Errorf("seed id = %s, want %s (documented in DefaultSeed)", got, w)
		}
	}
}
