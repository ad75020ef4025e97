package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"example.com/saas/internal/testenv"
	"example.com/saas/middleware"
	"example.com/saas/static"
)

// TestInFlightBusyAnswerSparesMachineRoutes fills a gate of one slot and
// checks that the machine routes still answer while the app and webhook
// routes get the 503 busy answer.
func TestInFlightBusyAnswerSparesMachineRoutes(t *testing.T) {
	t.Parallel()
	h, _ := newTestHandlers(t, func(context.Context) error { return nil })
	assets, err := static.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	gate := middleware.NewInFlight(1, 10*time.Millisecond)
	router := h.Routes(RouterConfig{Static: assets.Handler(), InFlight: gate})

	// Hold the only slot: the router's routes share the gate's slots.
	release := make(chan struct{})
	var holder sync.WaitGroup
	holder.Go(func() {
		held := gate.Limit(http.NotFoundHandler())(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
		held.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	})
	var once sync.Once
	free := func() {
		once.Do(func() { close(release) })
		holder.Wait()
	}
	defer free()
	testenv.Eventually(t, "the slot to be held", func() bool { return gate.Running() == 1 })

	tests := []struct {
		method, path string
		wantStatus   int
	}{
		{http.MethodGet, "/healthz", http.StatusOK},
		{http.MethodGet, "/readyz", http.StatusOK},
		{http.MethodGet, h.pages.assets.URL("css/app.css"), http.StatusOK},
		{http.MethodGet, "/", http.StatusServiceUnavailable},
		{http.MethodGet, "/api/v1/me", http.StatusServiceUnavailable},
		{http.MethodPost, "/webhooks/clerk", http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			router.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader("{}")))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusServiceUnavailable && rec.Header().Get("Retry-After") != "1" {
				t.Errorf("Retry-After = %q, want 1", rec.Header().Get("Retry-After"))
			}
		})
	}

	t.Run("page and API shapes", func(t *testing.T) {
		body := get(t, router, "/").Body.String()
		doc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
		page := doc.Find(`[data-testid="error-page"][data-status="503"]`)
		if page.Length() != 1 || !strings.Contains(page.Text(), "The server is busy") {
			t.Errorf("busy page is not the friendly error page: %s", body)
		}
		rec := get(t, router, "/api/v1/me")
		if rec.Header().Get("Content-Type") != "application/json" || !strings.Contains(rec.Body.String(), `"code":"busy"`) {
			t.Errorf("API busy answer = %q %s", rec.Header().Get("Content-Type"), rec.Body)
		}
	})

	free()
	if rec := get(t, router, "/"); rec.Code != http.StatusOK {
		t.Errorf("GET / after the slot was freed = %d, want 200", rec.Code)
	}
}
