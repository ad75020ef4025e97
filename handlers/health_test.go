package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"example.com/saas/internal/database"
	"example.com/saas/static"
)

func newTestHandlers(t *testing.T, ready func(context.Context) error) (*Handlers, http.Handler) {
	t.Helper()
	assets, err := static.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	h := New(Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Assets: assets, Ready: ready})
	return h, h.Routes(RouterConfig{Static: assets.Handler()})
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		path       string
		ready      error
		wantStatus int
		wantBody   string
	}{
		{"healthz", "/healthz", nil, 200, `"ok"`},
		{"healthz ignores the database", "/healthz", errors.New("down"), 200, `"ok"`},
		{"readyz ok", "/readyz", nil, 200, `"ok"`},
		{"readyz database down", "/readyz", errors.New("dial tcp: refused"), 503, "database unavailable"},
		{"readyz migrations pending", "/readyz", database.ErrMigrationsPending, 503, "migrations pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, router := newTestHandlers(t, func(context.Context) error { return tt.ready })
			rec := get(t, router, tt.path)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body = %q, want it to contain %q", rec.Body, tt.wantBody)
			}
			if strings.Contains(rec.Body.String(), "refused") {
				t.Errorf("body leaks the internal error: %q", rec.Body)
			}
		})
	}
}

func TestLandingPage(t *testing.T) {
	t.Parallel()
	_, router := newTestHandlers(t, nil)
	rec := get(t, router, "/")
	if rec.Code != 200 {
		t.Fatalf("status = %d", rec.Code)
	}
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	for testid, href := range map[string]string{"sign-in": "/sign-in", "sign-up": "/sign-up"} {
		got, _ := doc.Find(`[data-testid="` + testid + `"]`).Attr("href")
		if got != href {
			t.Errorf("%s link = %q, want %q", testid, got, href)
		}
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	if doc.Find("script:not([src])").Length() != 0 || doc.Find("[style]").Length() != 0 {
		t.Error("page has inline script or style, which the CSP forbids")
	}
}

func TestNotFoundPage(t *testing.T) {
	t.Parallel()
	_, router := newTestHandlers(t, nil)
	for _, path := range []string{"/no-such-page", "/static/nope.css", "/healthz/extra"} {
		rec := get(t, router, path)
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, rec.Code)
		}
	}
	rec := get(t, router, "/no-such-page")
	doc, _ := goquery.NewDocumentFromReader(rec.Body)
	if doc.Find(`[data-testid="error-page"][data-status="404"]`).Length() != 1 {
		t.Errorf("404 response is not the friendly page: %s", rec.Body)
	}
	if rec.Header().Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id header")
	}
}

func TestInternalErrorPageHidesDetails(t *testing.T) {
	t.Parallel()
	h, _ := newTestHandlers(t, nil)
	rec := httptest.NewRecorder()
	h.RenderError(rec, httptest.NewRequest(http.MethodGet, "/orgs/x", nil), errors.New("pq: password authentication failed for user admin"))
	if rec.Code != 500 {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "password") {
		t.Error("500 page shows the internal error")
	}
	doc, _ := goquery.NewDocumentFromReader(rec.Body)
	if doc.Find(`[data-testid="error-page"][data-status="500"]`).Length() != 1 {
		t.Error("500 response is not the friendly page")
	}

	rec = httptest.NewRecorder()
	h.RenderError(rec, httptest.NewRequest(http.MethodGet, "/api/v1/me", nil), errors.New("boom"))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/json" || !strings.Contains(rec.Body.String(), `"code":"internal"`) {
		t.Errorf("API 500 = %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}

func TestStaticAssetsAreCacheable(t *testing.T) {
	t.Parallel()
	h, router := newTestHandlers(t, nil)
	url := h.pages.assets.URL("css/app.css")
	rec := get(t, router, url)
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("GET %s = %d, Cache-Control %q", url, rec.Code, rec.Header().Get("Cache-Control"))
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	_, router := newTestHandlers(t, nil)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", strings.NewReader("{}"))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("cross-site POST = %d, want 403", rec.Code)
	}
}
