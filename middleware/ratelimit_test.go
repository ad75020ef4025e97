package middleware

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"example.com/saas/models"
)

func TestRateLimiterPerKey(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewRateLimiter(1, 2)
	l.now = func() time.Time { return now }
	h := l.Limit(ByUser)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	call := func(user string) int {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/projects", nil)
		req = req.WithContext(models.WithIdentity(context.Background(), models.Identity{UserID: user, SessionID: "s"}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if call("a") != 200 || call("a") != 200 {
		t.Fatal("burst of 2 refused")
	}
	if code := call("a"); code != http.StatusTooManyRequests {
		t.Fatalf("third request = %d, want 429", code)
	}
	if code := call("b"); code != 200 {
		t.Fatalf("another user limited by the first: %d", code)
	}
	now = now.Add(time.Second)
	if code := call("a"); code != 200 {
		t.Fatalf("after a second = %d, want 200 (refilled)", code)
	}
	// Idle buckets are evicted, bounding memory.
	now = now.Add(time.Hour)
	call("c")
	if _, ok := l.buckets["user:a"]; ok {
		t.Error("idle bucket kept")
	}
}

func TestLimitBody(t *testing.T) {
	var readErr error
	h := LimitBody(10)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 100)
		_, readErr = r.Body.Read(buf)
		for readErr == nil {
			_, readErr = r.Body.Read(buf)
		}
	}))
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("01234567890123456789"))
	h.ServeHTTP(httptest.NewRecorder(), req)
	var mbe *http.MaxBytesError
	if !errors.As(readErr, &mbe) {
		t.Fatalf("reading past the limit = %v, want *http.MaxBytesError", readErr)
	}
}
