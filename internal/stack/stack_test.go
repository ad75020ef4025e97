package stack

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"example.com/saas/internal/clerkdev"
)

// TestStartEmulatorWiresTheApp: the app's origin may be redirected to,
// with or without webhooks, and Wrap sees the requests.
func TestStartEmulatorWiresTheApp(t *testing.T) {
	var seen atomic.Int64
	emu, err := StartEmulator(t.Context(), EmulatorConfig{
		AppURL:     "http://localhost:8123",
		NoWebhooks: true,
		Clerk:      clerkdev.Config{AllowedRedirectOrigins: []string{"https://app.example.com"}},
		Wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen.Add(1); h.ServeHTTP(w, r) })
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	origins := emu.AllowedRedirectOrigins()
	for _, want := range []string{"http://localhost:8123", "https://app.example.com"} {
		if !slices.Contains(origins, want) {
			t.Errorf("allowed redirect origins %v lack %s", origins, want)
		}
	}
	if !strings.HasPrefix(emu.BaseURL(), "http://127.0.0.1:") {
		t.Errorf("BaseURL = %s, want a loopback URL", emu.BaseURL())
	}
	if _, err := emu.NewSession(t.Context(), "user_2alice000000000000000000000", "org_2acme0000000000000000000000"); err != nil {
		t.Fatal(err)
	}
	if seen.Load() == 0 {
		t.Error("Wrap saw no request")
	}
}

// TestSettingsPointAtTheEmulator: the app talks to the emulator, on port.
func TestSettingsPointAtTheEmulator(t *testing.T) {
	emu, err := StartEmulator(t.Context(), EmulatorConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	s := Settings(emu, 8123, "postgres://db")
	for k, want := range map[string]string{
		"PORT":                   "8123",
		"BASE_URL":               "http://localhost:8123",
		"DATABASE_URL":           "postgres://db",
		"CLERK_API_URL":          emu.BaseURL() + "/v1",
		"CLERK_FRONTEND_API_URL": emu.BaseURL(),
		"CLERK_SECRET_KEY":       emu.SecretKey(),
	} {
		if s[k] != want {
			t.Errorf("%s = %q, want %q", k, s[k], want)
		}
	}
}

// TestStartAppReportsAnEarlyExit: an app that cannot start is an error,
// not a wait for ctx.
func TestStartAppReportsAnEarlyExit(t *testing.T) {
	_, err := StartApp(context.Background(), map[string]string{"APP_ENV": "staging"}, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "APP_ENV") {
		t.Fatalf("StartApp = %v, want an APP_ENV error", err)
	}
}
