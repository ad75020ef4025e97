package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/saas/gatewayauth"
	"example.com/saas/internal/apptest"
)

const testSecret = "cmd-gateway-test-secret-0123456789abcdef"

// TestGatewayBesideTheApp runs the command as deployed: the app's
// database and emulator, a service behind /notifications/ and the app
// itself behind /api/.
func TestGatewayBesideTheApp(t *testing.T) {
	s := apptest.StartSynced(t, apptest.Options{})
	var mu sync.Mutex
	var got []gatewayauth.Identity
	v := &gatewayauth.Verifier{Secret: []byte(testSecret)}
	svc := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := gatewayauth.FromContext(r.Context())
		mu.Lock()
		got = append(got, id)
		mu.Unlock()
		io.WriteString(w, "ok")
	})))
	t.Cleanup(svc.Close)
	calls := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }

	env := map[string]string{
		"APP_ENV":                "development",
		"BASE_URL":               s.URL,
		"DATABASE_URL":           s.DBURL,
		"CLERK_SECRET_KEY":       s.Emu.SecretKey(),
		"CLERK_API_URL":          s.EmuURL + "/v1",
		"CLERK_FRONTEND_API_URL": s.EmuURL,
		"GATEWAY_ADDR":           "127.0.0.1:0",
		"GATEWAY_METRICS_ADDR":   "127.0.0.1:" + strconv.Itoa(apptest.FreePort(t)),
		"GATEWAY_SHARED_SECRET":  testSecret,
		"GATEWAY_ROUTES":         "/notifications/=" + svc.URL + ",/api/=" + s.URL,
	}
	addr, metricsAddr := start(t, env)
	gw := "http://" + addr

	sid, token := s.Session(t, apptest.Alice, apptest.Acme)
	if code, body := get(t, gw+"/notifications/preferences", token); code != 200 || body != "ok" {
		t.Fatalf("through the gateway: %d %s", code, body)
	}
	mu.Lock()
	if got[0].UserID != apptest.Alice || got[0].OrgID != apptest.Acme || got[0].SessionID != sid {
		t.Fatalf("service saw %+v", got[0])
	}
	mu.Unlock()
	// The app behind /api/ verifies the forwarded token itself.
	if code, body := get(t, gw+"/api/v1/me", token); code != 200 || !strings.Contains(body, apptest.Alice) {
		t.Fatalf("app through the gateway: %d %s", code, body)
	}

	// Revoked in Clerk, recorded by the app from the webhook, refused here.
	s.RevokeSession(t, sid)
	s.WaitForWebhooks(t)
	deadline := time.Now().Add(10 * time.Second)
	code, body := get(t, gw+"/notifications/preferences", token)
	for code == 200 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		code, body = get(t, gw+"/notifications/preferences", token)
	}
	var envelope struct{ Error struct{ Code string } }
	if json.Unmarshal([]byte(body), &envelope); code != 401 || envelope.Error.Code != "unauthenticated" {
		t.Fatalf("revoked session: %d %s", code, body)
	}
	before := calls()
	if get(t, gw+"/notifications/preferences", token); calls() != before {
		t.Fatal("a revoked session reached the service")
	}

	if code, _ := get(t, gw+"/healthz", ""); code != 200 {
		t.Fatalf("/healthz: %d", code)
	}
	_, metrics := get(t, "http://"+metricsAddr+"/metrics", "")
	for _, want := range []string{`gateway_requests_total{code="200",route="/notifications/"}`, `gateway_requests_total{code="401",route="/notifications/"}`, `gateway_auth_refusals_total{reason="revoked"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestRefusesToStartWithoutASecretInProduction(t *testing.T) {
	env := map[string]string{
		"APP_ENV":                "production",
		"DATABASE_URL":           "postgres://u:p@127.0.0.1:1/db",
		"CLERK_SECRET_KEY":       "sk_live_x",
		"CLERK_FRONTEND_API_URL": "https://clerk.example.com",
		"GATEWAY_ROUTES":         "/notifications/=http://127.0.0.1:9301",
	}
	err := run(context.Background(), func(k string) string { return env[k] }, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "GATEWAY_SHARED_SECRET: is required in production") {
		t.Fatalf("err %v", err)
	}
	env["GATEWAY_SHARED_SECRET"] = testSecret
	env["GATEWAY_ROUTES"] = "/notifications/=127.0.0.1:9301"
	if err := run(context.Background(), func(k string) string { return env[k] }, io.Discard, nil); err == nil || !strings.HasPrefix(err.Error(), "GATEWAY_ROUTES: ") {
		t.Fatalf("bad routes: err %v", err)
	}
}

// start runs the command until the test ends and returns where it listens.
func start(t *testing.T, env map[string]string) (addr, metricsAddr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	type addrs struct{ addr, metrics string }
	ready := make(chan addrs, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) string { return env[k] }, io.Discard, func(a, m string) { ready <- addrs{a, m} })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway stopped with %v", err)
		}
	})
	select {
	case a := <-ready:
		return a.addr, a.metrics
	case err := <-done:
		t.Fatalf("gateway did not start: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("gateway did not start in time")
	}
	return "", ""
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
