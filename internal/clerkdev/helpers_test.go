package clerkdev

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/clerk/clerk-sdk-go/v2/jwt"
	svix "github.com/svix/svix-webhooks/go"
)

// testKey is generated once per test binary to keep the tests fast.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

type testEnv struct {
	t   *testing.T
	s   *Server
	srv *httptest.Server
}

func newEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	if cfg.SigningKey == nil {
		cfg.SigningKey = testKey()
	}
	if cfg.AllowedRedirectOrigins == nil {
		cfg.AllowedRedirectOrigins = []string{"http://localhost:8080"} // the app of appURL
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(s.Handler())
	s.SetBaseURL(srv.URL)
	t.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	return &testEnv{t: t, s: s, srv: srv}
}

// sdk returns a clerk-sdk-go client configuration pointed at the emulator.
func (e *testEnv) sdk() *clerk.ClientConfig {
	return &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		Key: clerk.String(e.s.SecretKey()), URL: clerk.String(e.srv.URL + "/v1"), HTTPClient: e.srv.Client(),
	}}
}

// bapi sends a raw Backend API request (for emulator extensions the SDK cannot express).
func (e *testEnv) bapi(method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.s.SecretKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// bapiOK sends a raw Backend API request, requires 200 and decodes the answer into out
// (when not nil).
func (e *testEnv) bapiOK(method, path string, body, out any) {
	e.t.Helper()
	status, b := e.bapi(method, path, body)
	if status != http.StatusOK {
		e.t.Fatalf("%s %s = %d %s", method, path, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// verify checks a session token the way the app does.
func (e *testEnv) verify(token string) (*clerk.SessionClaims, error) {
	base := e.s.BaseURL()
	return jwt.Verify(context.Background(), &jwt.VerifyParams{
		Token: token, JWKSClient: jwks.NewClient(e.sdk()), ProxyURL: &base, Leeway: 5 * time.Second,
	})
}

// wantAPIError asserts err is a *clerk.APIErrorResponse with the status and code.
func wantAPIError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var apiErr *clerk.APIErrorResponse
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v (%T), want *clerk.APIErrorResponse", err, err)
	}
	if apiErr.HTTPStatusCode != status || len(apiErr.Errors) == 0 || apiErr.Errors[0].Code != code {
		t.Fatalf("error = %d %+v, want %d %s", apiErr.HTTPStatusCode, apiErr.Errors, status, code)
	}
	if apiErr.TraceID == "" {
		t.Errorf("clerk_trace_id is empty")
	}
}

type receivedHook struct {
	Header http.Header
	Body   []byte
}

// hookReceiver is an httptest webhook endpoint that answers 500 to its first failFirst
// requests and records every request.
type hookReceiver struct {
	srv       *httptest.Server
	mu        sync.Mutex
	failFirst int
	got       []receivedHook
}

func newReceiver(t *testing.T, failFirst int) *hookReceiver {
	h := &hookReceiver{failFirst: failFirst}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, receivedHook{Header: r.Header.Clone(), Body: b})
		fail := len(h.got) <= h.failFirst
		h.mu.Unlock()
		if fail {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) all() []receivedHook {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]receivedHook(nil), h.got...)
}

// events returns the delivered events by type (each svix-id once, last attempt wins),
// after checking every signature.
func (h *hookReceiver) events(t *testing.T, secret string) map[string][]map[string]any {
	t.Helper()
	wh, err := svix.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]map[string]any{}
	seen := map[string]bool{}
	for _, r := range h.all() {
		if err := wh.Verify(r.Body, r.Header); err != nil {
			t.Fatalf("svix Verify(%s): %v", r.Header.Get("svix-id"), err)
		}
		id := r.Header.Get("svix-id")
		if seen[id] {
			continue
		}
		seen[id] = true
		var ev map[string]any
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			t.Fatal(err)
		}
		typ, _ := ev["type"].(string)
		out[typ] = append(out[typ], ev)
	}
	return out
}

func flush(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func diffKeys(got, want []string) string {
	g, w := map[string]bool{}, map[string]bool{}
	for _, k := range got {
		g[k] = true
	}
	for _, k := range want {
		w[k] = true
	}
	var missing, extra []string
	for k := range w {
		if !g[k] {
			missing = append(missing, k)
		}
	}
	for k := range g {
		if !w[k] {
			extra = append(extra, k)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	return "missing " + strings.Join(missing, ",") + "; extra " + strings.Join(extra, ",")
}

// documentedExtras are the keys the emulator's objects have beyond Clerk's webhook
// examples, as "<object>.<key>", each with where Clerk documents it.
func documentedExtras() map[string]string {
	const user = "Clerk's User schema (Backend API 2025-04-10, webhooks 2025-04-15)"
	return map[string]string{
		"user.locale":                                      user,
		"user.deprovisioned":                               user,
		"user.password_last_updated_at":                    user,
		"user.bypass_client_trust":                         user,
		"user.timezone":                                    "UserJSON, required (@clerk/backend 3.25.0)",
		"organization_invitation.inviter_id":               "OrganizationInvitation, required (Backend API 2025-04-10)",
		"organization_invitation.public_inviter_data":      "OrganizationInvitation, required (Backend API 2025-04-10)",
		"organization_invitation.public_organization_data": "OrganizationInvitationWithPublicOrganizationData (Backend API), OrganizationInvitationJSON (@clerk/backend)",
		"role.is_creator_eligible":                         "Role, required (both specs); in role.created's example, not in role.updated's",
	}
}

// keyDiffs compares got with Clerk's example want, recursively: every key of want must
// be in got, and every key of got must be in want or be one of extras ("<object>.<key>",
// object being the "object" value of the map that holds the key). Each element of an
// array in got is compared with the first element of want's; a null in want matches
// anything, and metadata (*_metadata) is data, not compared. The differences come
// sorted, one per key.
func keyDiffs(path string, got, want any, extras map[string]string) []string {
	var out []string
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %v, want an object", path, got)}
		}
		object, _ := g["object"].(string)
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, path+"."+k+": missing")
				continue
			}
			if !strings.HasSuffix(k, "_metadata") {
				out = append(out, keyDiffs(path+"."+k, gv, wv, extras)...)
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok && extras[object+"."+k] == "" {
				out = append(out, path+"."+k+": not in Clerk's example")
			}
		}
	case []any:
		g, _ := got.([]any)
		for i := 0; len(w) > 0 && i < len(g); i++ {
			out = append(out, keyDiffs(fmt.Sprintf("%s[%d]", path, i), g[i], w[0], extras)...)
		}
	}
	sort.Strings(out)
	return out
}
