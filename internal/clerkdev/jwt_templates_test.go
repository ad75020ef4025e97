package clerkdev

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/clerk/clerk-sdk-go/v2/jwt"
	"github.com/clerk/clerk-sdk-go/v2/jwttemplate"
	sdksession "github.com/clerk/clerk-sdk-go/v2/session"
)

// templateSeed is the default seed with two JWT templates.
func templateSeed(t *testing.T) *Seed {
	seed := DefaultSeed()
	if err := json.Unmarshal([]byte(`[
		{"name": "backend", "lifetime": 3600, "allowed_clock_skew": 0, "claims": {
			"aud": "https://api.example.com", "version": 2, "nested": {"ids": ["{{user.id}}", "{{org.id}}"]},
			"user_id": "{{user.id}}", "email": "{{user.primary_email_address}}", "verified": "{{user.email_verified}}",
			"name": "{{user.last_name}} {{user.first_name}}", "full": "{{user.full_name}}", "ext": "{{user.external_id}}",
			"plan": "{{user.public_metadata.plan || 'free'}}", "seats": "{{org.public_metadata.seats || 5}}",
			"meta": "{{user.public_metadata}}", "since": "{{user.created_at}}",
			"org": "{{org.id}}", "slug": "{{org.slug}}", "role": "{{org.role}}", "perms": "{{org.membership_permissions}}",
			"orgs": "{{user.organizations}}", "label": "{{org.slug}}:{{org.role}}", "nope": "{{user.i_dont_exist}}"}},
		{"name": "minimal", "claims": {}}
	]`), &seed.JWTTemplates); err != nil {
		t.Fatal(err)
	}
	return &seed
}

// verifyTemplate checks a template token's signature and registered claims the way a Go
// service does, and returns all its claims and its JOSE header.
func (e *testEnv) verifyTemplate(token string) (claims, header map[string]any) {
	e.t.Helper()
	custom := map[string]any{}
	base := e.s.BaseURL()
	if _, err := jwt.Verify(context.Background(), &jwt.VerifyParams{Token: token, JWKSClient: jwks.NewClient(e.sdk()),
		ProxyURL: &base, CustomClaimsConstructor: func(context.Context) any { return &custom }}); err != nil {
		e.t.Fatalf("jwt.Verify: %v", err)
	}
	h, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err := json.Unmarshal(h, &header); err != nil {
		e.t.Fatal(err)
	}
	return custom, header
}

func TestJWTTemplateToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Seed: templateSeed(t)})
	ctx := context.Background()
	sc := sdksession.NewClient(e.sdk())
	alice, acme := seedID("user", "alice"), seedID("org", "acme")
	status, b := e.bapi(http.MethodPatch, "/v1/users/"+alice+"/metadata", map[string]any{"public_metadata": map[string]any{"plan": "pro"}})
	if status != http.StatusOK {
		t.Fatalf("merge metadata = %d %s", status, b)
	}
	status, b = e.bapi(http.MethodPost, "/v1/sessions", map[string]string{"user_id": alice, "active_organization_id": "acme", "azp": "http://localhost:8080"})
	var sess clerk.Session
	if status != http.StatusOK || json.Unmarshal(b, &sess) != nil {
		t.Fatalf("POST /v1/sessions = %d %s", status, b)
	}

	tok, err := sc.CreateToken(ctx, &sdksession.CreateTokenParams{ID: sess.ID, TemplateName: "backend"})
	if err != nil || tok.Object != "token" {
		t.Fatalf("CreateToken(backend) = %+v, %v", tok, err)
	}
	claims, header := e.verifyTemplate(tok.JWT)
	if header["cat"] != jwtCategoryTemplate || header["alg"] != "RS256" || header["kid"] == nil {
		t.Errorf("header = %v, want RS256, a kid and Clerk's JWT-template category", header)
	}
	iat, _ := claims["iat"].(float64)
	if time.Since(time.Unix(int64(iat), 0)).Abs() > time.Minute || claims["exp"] != iat+3600 || claims["nbf"] != iat {
		t.Errorf("iat/exp/nbf = %v/%v/%v, want now, iat+3600 (lifetime) and iat (no clock skew)", iat, claims["exp"], claims["nbf"])
	}
	want := map[string]any{
		"iss": e.s.BaseURL(), "sub": alice, "azp": "http://localhost:8080",
		"aud": "https://api.example.com", "version": 2.0, "nested": map[string]any{"ids": []any{alice, acme}},
		"user_id": alice, "email": "alice@example.com", "verified": true, "name": "Admin Alice", "full": "Alice Admin",
		"ext": nil, "plan": "pro", "seats": 5.0, "meta": map[string]any{"plan": "pro"},
		"org": acme, "slug": "acme", "role": RoleAdmin, "label": "acme:org:admin", "nope": nil,
		"orgs": map[string]any{acme: RoleAdmin, seedID("org", "globex"): RoleMember},
	}
	for k, w := range want {
		g, _ := json.Marshal(claims[k])
		wb, _ := json.Marshal(w)
		if string(g) != string(wb) {
			t.Errorf("claim %s = %s, want %s", k, g, wb)
		}
	}
	e.s.mu.Lock()
	adminPerms := len(e.s.rolePermissionsLocked(RoleAdmin))
	e.s.mu.Unlock()
	if perms, _ := claims["perms"].([]any); len(perms) != adminPerms {
		t.Errorf("perms = %v, want the admin's %d permissions", claims["perms"], adminPerms)
	}
	if since, _ := claims["since"].(float64); since < iat-3600 || since > iat {
		t.Errorf("since = %v, want user.created_at in unix seconds", claims["since"])
	}
	for _, c := range []string{"sid", "v", "o", "fea", "sts"} {
		if _, ok := claims[c]; ok {
			t.Errorf("claim %s present; template tokens carry no session claims", c)
		}
	}

	// Without an active organization the org shortcodes are null; expires_in_seconds overrides.
	bobSess := e.createSession(seedID("user", "bob"), "")
	tok, err = sc.CreateToken(ctx, &sdksession.CreateTokenParams{ID: bobSess, TemplateName: "backend", ExpiresInSeconds: clerk.Int64(120)})
	if err != nil {
		t.Fatal(err)
	}
	claims, _ = e.verifyTemplate(tok.JWT)
	if claims["org"] != nil || claims["label"] != "null:null" || claims["plan"] != "free" || claims["exp"].(float64)-claims["iat"].(float64) != 120 {
		t.Errorf("bob's claims = org %v label %v plan %v exp-iat %v", claims["org"], claims["label"], claims["plan"], claims["exp"].(float64)-claims["iat"].(float64))
	}
	if _, ok := claims["azp"]; ok {
		t.Errorf("azp = %v, want none for a session without one", claims["azp"])
	}
	tok, err = sc.CreateToken(ctx, &sdksession.CreateTokenParams{ID: bobSess, TemplateName: "minimal"})
	if err != nil {
		t.Fatal(err)
	}
	if claims, _ := e.verifyTemplate(tok.JWT); claims["exp"].(float64)-claims["iat"].(float64) != 60 || claims["iat"].(float64)-claims["nbf"].(float64) != 5 {
		t.Errorf("minimal: exp-iat %v iat-nbf %v, want the defaults 60 and 5", claims["exp"].(float64)-claims["iat"].(float64), claims["iat"].(float64)-claims["nbf"].(float64))
	}
}

func TestJWTTemplateErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Seed: templateSeed(t)})
	ctx := context.Background()
	sc := sdksession.NewClient(e.sdk())
	sid := e.createSession(seedID("user", "bob"), "")
	revoked := e.createSession(seedID("user", "carol"), "")
	if _, err := sc.Revoke(ctx, &sdksession.RevokeParams{ID: revoked}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, session, template string
		expires                 *int64
		wantStatus              int
		wantCode, wantLong      string
	}{
		{"unknown template", sid, "hasura", nil, 404, "resource_not_found", "No JWT template exists with name: hasura"},
		{"unknown session", "sess_nope", "backend", nil, 404, "resource_not_found", "No session was found with id sess_nope"},
		{"revoked session", revoked, "backend", nil, 404, "resource_not_found", ""},
		{"lifetime too short", sid, "backend", clerk.Int64(10), 422, "form_param_value_invalid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sc.CreateToken(ctx, &sdksession.CreateTokenParams{ID: tt.session, TemplateName: tt.template, ExpiresInSeconds: tt.expires})
			wantAPIError(t, err, tt.wantStatus, tt.wantCode)
			if apiErr := err.(*clerk.APIErrorResponse); tt.wantLong != "" && apiErr.Errors[0].LongMessage != tt.wantLong {
				t.Errorf("long_message = %q, want %q", apiErr.Errors[0].LongMessage, tt.wantLong)
			}
		})
	}
}

func TestJWTTemplateList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{Seed: templateSeed(t)})
	ctx := context.Background()
	tc := jwttemplate.NewClient(e.sdk())
	list, err := tc.List(ctx, &jwttemplate.ListParams{})
	if err != nil || list.TotalCount != 2 || list.JWTTemplates[0].Name != "backend" || list.JWTTemplates[1].Name != "minimal" {
		t.Fatalf("List = %+v, %v; want backend, minimal", list, err)
	}
	got, err := tc.Get(ctx, list.JWTTemplates[0].ID)
	if err != nil || got.Object != "jwt_template" || got.Lifetime != 3600 || got.AllowedClockSkew != 0 ||
		got.SigningAlgorithm != "RS256" || got.CustomSigningKey || !strings.Contains(string(got.Claims), "{{user.id}}") {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	_, err = tc.Get(ctx, "jtmp_nope")
	wantAPIError(t, err, http.StatusNotFound, "resource_not_found")
	if empty, err := jwttemplate.NewClient(newEnv(t, Config{}).sdk()).List(ctx, &jwttemplate.ListParams{}); err != nil || empty.TotalCount != 0 {
		t.Errorf("built-in seed templates = %+v, %v; want none, as on a new Clerk instance", empty, err)
	}
}

func TestJWTTemplateSeedErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tmpl    SeedJWTTemplate
		wantErr string
	}{
		{"no name", SeedJWTTemplate{Claims: json.RawMessage(`{}`)}, "missing name"},
		{"reserved claim", SeedJWTTemplate{Name: "x", Claims: json.RawMessage(`{"sub":"me"}`)}, "reserved claim: 'sub'"},
		{"claims not an object", SeedJWTTemplate{Name: "x", Claims: json.RawMessage(`["a"]`)}, "claims must be a JSON object"},
		{"no claims", SeedJWTTemplate{Name: "x"}, "claims must be a JSON object"},
		{"lifetime too short", SeedJWTTemplate{Name: "x", Lifetime: 10, Claims: json.RawMessage(`{}`)}, "lifetime 10"},
		{"clock skew too large", SeedJWTTemplate{Name: "x", AllowedClockSkew: clerk.Int64(301), Claims: json.RawMessage(`{}`)}, "allowed_clock_skew 301"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seed := DefaultSeed()
			seed.JWTTemplates = []SeedJWTTemplate{tt.tmpl}
			_, err := New(Config{Seed: &seed, SigningKey: testKey()})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
	seed := DefaultSeed()
	seed.JWTTemplates = []SeedJWTTemplate{{Name: "x", Claims: json.RawMessage(`{}`)}, {Name: "x", Claims: json.RawMessage(`{}`)}}
	if _, err := New(Config{Seed: &seed, SigningKey: testKey()}); err == nil || !strings.Contains(err.Error(), "duplicate name") {
		t.Errorf("New with two templates named x = %v, want duplicate name", err)
	}
}
