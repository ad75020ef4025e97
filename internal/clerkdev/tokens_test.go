package clerkdev

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
	sdksession "github.com/clerk/clerk-sdk-go/v2/session"

	"example.com/saas/internal/clerkfixtures"
)

// createSession uses the emulator extension active_organization_id (the SDK cannot send it).
func (e *testEnv) createSession(userID, orgID string) string {
	e.t.Helper()
	body := map[string]string{"user_id": userID}
	if orgID != "" {
		body["active_organization_id"] = orgID
	}
	status, b := e.bapi(http.MethodPost, "/v1/sessions", body)
	if status != http.StatusOK {
		e.t.Fatalf("POST /v1/sessions = %d %s", status, b)
	}
	var sess clerk.Session
	if err := json.Unmarshal(b, &sess); err != nil {
		e.t.Fatal(err)
	}
	return sess.ID
}

func TestSessionTokenClaims(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	sc := sdksession.NewClient(e.sdk())
	acme := seedID("org", "acme")

	tests := []struct {
		name       string
		user       string
		wantRole   string
		wantPerm   map[string]bool
		wantNumPer int
	}{
		{"member", "bob", "org:member", map[string]bool{
			"org:projects:manage": true, "org:projects:read": true, "org:sys_memberships:read": true,
			"org:sys_memberships:manage": false, "org:sys_profile:delete": false}, 3},
		{"admin", "alice", "org:admin", map[string]bool{
			"org:projects:manage": true, "org:sys_memberships:manage": true, "org:sys_profile:delete": true,
			"org:sys_domains:manage": true}, len(allPermissions())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sid := e.createSession(seedID("user", tt.user), "acme")
			tok, err := sc.CreateToken(ctx, &sdksession.CreateTokenParams{ID: sid})
			if err != nil {
				t.Fatalf("CreateToken: %v", err)
			}
			if tok.Object != "token" {
				t.Errorf("object = %q, want token", tok.Object)
			}
			claims, err := e.verify(tok.JWT)
			if err != nil {
				t.Fatalf("jwt.Verify: %v", err)
			}
			if claims.Subject != seedID("user", tt.user) || claims.SessionID != sid || claims.Version != 2 {
				t.Errorf("sub/sid/v = %s %s %d", claims.Subject, claims.SessionID, claims.Version)
			}
			if claims.ActiveOrganizationID != acme || claims.ActiveOrganizationSlug != "acme" || claims.ActiveOrganizationRole != tt.wantRole {
				t.Errorf("org claims = %s %s %s, want %s acme %s", claims.ActiveOrganizationID,
					claims.ActiveOrganizationSlug, claims.ActiveOrganizationRole, acme, tt.wantRole)
			}
			if len(claims.ActiveOrganizationPermissions) != tt.wantNumPer {
				t.Errorf("permissions = %v, want %d", claims.ActiveOrganizationPermissions, tt.wantNumPer)
			}
			for p, want := range tt.wantPerm {
				if got := claims.HasPermission(p); got != want {
					t.Errorf("HasPermission(%s) = %v, want %v", p, got, want)
				}
			}
			if *claims.Expiry-*claims.IssuedAt != 60 || *claims.IssuedAt-*claims.NotBefore != 10 {
				t.Errorf("exp-iat = %d, iat-nbf = %d; want 60 and 10", *claims.Expiry-*claims.IssuedAt, *claims.IssuedAt-*claims.NotBefore)
			}
			if claims.AuthorizedParty != "" {
				t.Errorf("azp = %q, want none for a BAPI session", claims.AuthorizedParty)
			}
		})
	}

	t.Run("expires_in_seconds", func(t *testing.T) {
		sid := e.createSession(seedID("user", "carol"), "")
		tok, err := sc.CreateToken(ctx, &sdksession.CreateTokenParams{ID: sid, ExpiresInSeconds: clerk.Int64(600)})
		if err != nil {
			t.Fatal(err)
		}
		claims, err := e.verify(tok.JWT)
		if err != nil {
			t.Fatal(err)
		}
		if *claims.Expiry-*claims.IssuedAt != 600 || claims.ActiveOrganizationID != "" {
			t.Errorf("exp-iat = %d org %q, want 600 and no org", *claims.Expiry-*claims.IssuedAt, claims.ActiveOrganizationID)
		}
	})
}

func TestSessionsLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	sc := sdksession.NewClient(e.sdk())
	carol := seedID("user", "carol")

	status, body := e.bapi(http.MethodPost, "/v1/sessions", map[string]string{"user_id": carol, "active_organization_id": "acme"})
	if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), "form_param_format_invalid") {
		t.Fatalf("active org for a non-member = %d %s, want 422", status, body)
	}

	created, err := sc.Create(ctx, &sdksession.CreateParams{UserID: carol})
	if err != nil || created.Status != "active" || created.ID[:5] != "sess_" || created.ClientID[:7] != "client_" {
		t.Fatalf("Create = %+v, %v", created, err)
	}
	got, err := sc.Get(ctx, created.ID)
	if err != nil || got.UserID != carol {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	list, err := sc.List(ctx, &sdksession.ListParams{UserID: clerk.String(carol), Status: clerk.String("active")})
	if err != nil || list.TotalCount != 1 || list.Sessions[0].ID != created.ID {
		t.Fatalf("List = %+v, %v", list, err)
	}

	revoked, err := sc.Revoke(ctx, &sdksession.RevokeParams{ID: created.ID})
	if err != nil || revoked.Status != "revoked" {
		t.Fatalf("Revoke = %+v, %v", revoked, err)
	}
	_, err = sc.CreateToken(ctx, &sdksession.CreateTokenParams{ID: created.ID})
	wantAPIError(t, err, http.StatusNotFound, "resource_not_found")
	_, err = sc.Get(ctx, "sess_missing")
	wantAPIError(t, err, http.StatusNotFound, "resource_not_found")
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	sc := sdksession.NewClient(e.sdk())
	sid := e.createSession(seedID("user", "bob"), "")
	mint := func() string {
		tok, err := sc.CreateToken(ctx, &sdksession.CreateTokenParams{ID: sid})
		if err != nil {
			t.Fatal(err)
		}
		return tok.JWT
	}
	kidOf := func(tok string) string {
		h, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		var hdr map[string]string
		_ = json.Unmarshal(h, &hdr)
		return hdr["kid"]
	}
	kids := func() []string {
		set, err := jwks.NewClient(e.sdk()).Get(ctx, &jwks.GetParams{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range set.Keys {
			out = append(out, k.KeyID)
		}
		return out
	}

	oldTok := mint()
	oldKid := kidOf(oldTok)
	if oldKid != "ins_clerkdev_1" {
		t.Errorf("first kid = %s, want ins_clerkdev_1", oldKid)
	}
	newKid, err := e.s.RotateKey()
	if err != nil {
		t.Fatal(err)
	}
	newTok := mint()
	if kidOf(newTok) != newKid || newKid == oldKid {
		t.Fatalf("token kid = %s, want the new kid %s", kidOf(newTok), newKid)
	}
	if got := kids(); len(got) != 2 {
		t.Fatalf("JWKS kids = %v, want both", got)
	}
	for _, tok := range []string{oldTok, newTok} {
		if _, err := e.verify(tok); err != nil {
			t.Errorf("verify before retirement: %v", err)
		}
	}
	e.s.RetireKey(oldKid)
	if got := kids(); len(got) != 1 || got[0] != newKid {
		t.Fatalf("JWKS kids after RetireKey = %v, want [%s]", got, newKid)
	}
	if _, err := e.verify(oldTok); err == nil {
		t.Error("token of a retired key verified, want an error")
	}
	if _, err := e.verify(newTok); err != nil {
		t.Errorf("new token: %v", err)
	}
	resp, err := http.Get(e.srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var pub jwksJSON
	if err := json.NewDecoder(resp.Body).Decode(&pub); err != nil || len(pub.Keys) != 1 || pub.Keys[0].Alg != "RS256" || pub.Keys[0].Use != "sig" {
		t.Fatalf("public JWKS = %+v, %v", pub, err)
	}
}

// TestClaimNamesMatchFixtures checks the token's claim names against Clerk's own fixtures.
func TestClaimNamesMatchFixtures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	status, b := e.bapi(http.MethodPost, "/v1/sessions", map[string]string{"user_id": seedID("user", "alice"),
		"active_organization_id": "acme", "azp": "http://localhost:8080"})
	var sess clerk.Session
	if status != http.StatusOK || json.Unmarshal(b, &sess) != nil {
		t.Fatalf("POST /v1/sessions = %d %s", status, b)
	}
	tok, err := sdksession.NewClient(e.sdk()).CreateToken(context.Background(), &sdksession.CreateTokenParams{ID: sess.ID})
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok.JWT, ".")[1])
	var ours map[string]any
	if err := json.Unmarshal(payload, &ours); err != nil {
		t.Fatal(err)
	}

	var js struct {
		Payload map[string]any `json:"payload"`
	}
	clerkfixtures.Decode(t, "jsbackend-fixtures.json", &js)
	for k := range js.Payload {
		if _, ok := ours[k]; !ok {
			t.Errorf("claim %q of the v1 fixture is missing", k)
		}
	}

	var v2 struct {
		Cases []struct {
			Name   string         `json:"name"`
			Claims map[string]any `json:"claims"`
		} `json:"cases"`
	}
	clerkfixtures.Decode(t, "session-claims-v2-vectors.json", &v2)
	full := v2.Cases[0].Claims
	for k := range full {
		if _, ok := ours[k]; !ok {
			t.Errorf("claim %q of the v2 vector is missing", k)
		}
	}
	o, _ := ours["o"].(map[string]any)
	if d := diffKeys(keysOf(o), keysOf(full["o"].(map[string]any))); d != "" {
		t.Errorf("o claim keys: %s", d)
	}
	if ours["v"] != float64(2) || ours["sts"] != "active" {
		t.Errorf("v = %v sts = %v, want 2 and active", ours["v"], ours["sts"])
	}
}
