package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"example.com/saas/handlers"
	"example.com/saas/internal/apptest"
	"example.com/saas/internal/paths"
	"example.com/saas/internal/testenv"
)

// placeholder fills any path variable a tenant route may have.
var placeholder = regexp.MustCompile(`\{[a-zA-Z]+\}`)

func fillAny(pattern, slug, id string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.ReplaceAll(path, "{slug}", slug)
	return method, placeholder.ReplaceAllString(path, id)
}

// protectedRoutes is every route that needs a user: the tenant table plus
// the routes before choosing an organization.
func protectedRoutes() []string {
	out := []string{"GET /app", "GET /orgs", "POST /orgs", "POST /orgs/invitations/{invitationID}/accept",
		"POST /orgs/suggestions/{orgID}/request", "GET /account", "GET /api/v1/me"}
	for _, rt := range handlers.TenantRoutes() {
		out = append(out, rt.Pattern)
	}
	return out
}

// TestSecuritySuiteBadCredentials sends every protected route every kind of
// bad credential: each is refused (401 for the API, a redirect to sign-in
// for pages), nothing is written, and the refusal is logged without the token.
func TestSecuritySuiteBadCredentials(t *testing.T) {
	t.Parallel()
	// Every refusal here comes from one address: without the API rate
	// limit, each one reaches authentication (the limit has its own tests).
	s := apptest.Start(t, apptest.Options{Env: map[string]string{"API_RATE_LIMIT": "0"}})
	s.WaitForWebhooks(t)
	alice := apiToken(t, s, aliceID, acmeID)
	var project apiProject
	if code, raw := apiCall(t, s, alice, "POST", "/api/v1/projects", map[string]any{"name": "Guarded"}, &project); code != 201 {
		t.Fatalf("seed project: %d %s", code, raw)
	}
	revokedSID, revoked := s.Session(t, aliceID, acmeID)
	s.RevokeSession(t, revokedSID)
	s.WaitForWebhooks(t)

	now := time.Now().Unix()
	org := map[string]any{"id": acmeID, "slg": "acme", "rol": "admin", "per": "manage", "fpm": "1", "fea": "o:projects"}
	credentials := map[string]string{
		"garbage":         "not-a-token",
		"alg none":        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1c2VyXzJhbGljZTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAiLCJzaWQiOiJzZXNzXzEifQ.",
		"tampered":        tamper(alice),
		"expired":         s.SignToken(t, map[string]any{"iat": now - 600, "nbf": now - 610, "exp": now - 540, "o": org}),
		"not yet valid":   s.SignToken(t, map[string]any{"iat": now + 600, "nbf": now + 600, "exp": now + 660, "o": org}),
		"wrong azp":       s.SignToken(t, map[string]any{"azp": "https://evil.example", "o": org}),
		"wrong issuer":    s.SignToken(t, map[string]any{"iss": "https://clerk.evil.example", "o": org}),
		"revoked session": revoked,
	}
	before := tenantSnapshot(t, s, acmeID)
	for _, pattern := range protectedRoutes() {
		method, path := fillAny(pattern, "acme", project.ID)
		for kind, token := range credentials {
			req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(`{"name":"Hijacked","title":"Hijacked"}`))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := noRedirects.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			api := strings.HasPrefix(path, "/api/")
			ok := (api && resp.StatusCode == http.StatusUnauthorized) ||
				(!api && (resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther) &&
					strings.HasPrefix(resp.Header.Get("Location"), "/sign-in"))
			if !ok {
				t.Errorf("%s with %s token = %d (Location %q), want refused", pattern, kind, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	}
	if after := tenantSnapshot(t, s, acmeID); after != before {
		t.Errorf("refused requests changed acme's rows")
	}
	logs := s.Logs.String()
	for kind, token := range credentials {
		if len(token) > 20 && strings.Contains(logs, token) {
			t.Errorf("the %s token appears in the logs", kind)
		}
	}
	if !strings.Contains(logs, "credentials refused") {
		t.Error("refusals are not logged")
	}
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func tamper(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return token
	}
	p := []byte(parts[1])
	p[len(p)/2] ^= 1
	return parts[0] + "." + string(p) + "." + parts[2]
}

// TestSecuritySuiteCSRF: every unsafe route refuses a cross-site request
// before it reaches the handler, even with a valid session.
func TestSecuritySuiteCSRF(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	_, noFollow := s.SignedIn(t, "alice@example.com")
	before := tenantSnapshot(t, s, acmeID)
	for _, pattern := range append(protectedRoutes(), "POST /sign-out") {
		method, path := fillAny(pattern, "acme", "00000000-0000-4000-8000-000000000000")
		if method == http.MethodGet {
			continue
		}
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(url.Values{"name": {"x"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site %s = %d, want 403", pattern, resp.StatusCode)
		}
	}
	if after := tenantSnapshot(t, s, acmeID); after != before {
		t.Error("cross-site requests changed acme's rows")
	}
}

// TestSecuritySuiteXSS stores script payloads in every user-controlled field
// and checks every page renders them escaped.
func TestSecuritySuiteXSS(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	const payload = `<script>alert("xss")</script><img src=x onerror=alert(1)>`
	alice := apiToken(t, s, aliceID, acmeID)
	var project apiProject
	if code, raw := apiCall(t, s, alice, "POST", "/api/v1/projects", map[string]any{"name": "P " + payload, "description": "D " + payload}, &project); code != 201 {
		t.Fatalf("create: %d %s", code, raw)
	}
	if code, raw := apiCall(t, s, alice, "POST", "/api/v1/projects/"+project.ID+"/tasks", map[string]any{"title": "T " + payload}, nil); code != 201 {
		t.Fatalf("task: %d %s", code, raw)
	}
	if err := s.DB.Exec("UPDATE users SET first_name = ? WHERE id = ?", "U "+payload, aliceID).Error; err != nil {
		t.Fatal(err)
	}
	follow, _ := s.SignedIn(t, "alice@example.com")
	testenv.Eventually(t, "the top bar shows the new name", func() bool {
		_, body, _ := send(t, s, follow, http.MethodGet, "/orgs", nil)
		return strings.Contains(body, "U &lt;")
	})
	pages := []string{paths.Orgs, paths.Org("acme"), paths.Projects("acme"), paths.Project("acme", project.ID),
		paths.EditProject("acme", project.ID), paths.Audit("acme"), paths.Members("acme"), paths.Account}
	for _, p := range pages {
		code, body, _ := send(t, s, follow, http.MethodGet, p, nil)
		if code != 200 {
			t.Errorf("GET %s = %d", p, code)
			continue
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("GET %s renders the payload unescaped", p)
		}
	}
}

// TestSecuritySuiteHeaders: every kind of response carries the security
// headers, with a CSP that allows no inline script.
func TestSecuritySuiteHeaders(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, apptest.Options{})
	for _, path := range []string{"/", "/healthz", "/readyz", "/nope", "/static/nope.css", "/api/v1/me", "/api/v1/openapi.json", "/orgs"} {
		resp, err := noRedirects.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("GET %s (%d): headers %v", path, resp.StatusCode, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("GET %s sends HSTS over http", path)
		}
	}
}

// TestSecuritySuiteNoSecretsInLogs runs a sign-in, API calls and webhooks
// and checks no secret, token or cookie value reaches the log.
func TestSecuritySuiteNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	c := s.Browser(t)
	resp := s.SignIn(t, c, "alice@example.com", "/orgs")
	resp.Body.Close()
	token := apiToken(t, s, aliceID, acmeID)
	apiCall(t, s, token, "GET", "/api/v1/projects", nil, nil)
	apiCall(t, s, "forged."+token, "GET", "/api/v1/projects", nil, nil)
	u, _ := url.Parse(s.URL)
	secrets := map[string]string{"secret key": s.Emu.SecretKey(), "webhook secret": s.Emu.WebhookSecret(), "session token": token}
	for _, ck := range c.Jar.Cookies(u) {
		if len(ck.Value) > 16 {
			secrets["cookie "+ck.Name] = ck.Value
		}
	}
	logs := s.Logs.String()
	for name, v := range secrets {
		if strings.Contains(logs, v) {
			t.Errorf("the %s appears in the logs", name)
		}
	}
	if strings.Contains(logs, "__clerk_handshake=") || strings.Contains(logs, "password") {
		t.Error("logs carry handshake payloads or passwords")
	}
}
