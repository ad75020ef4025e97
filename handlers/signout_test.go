package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/session"

	"example.com/saas/internal/live"
	"example.com/saas/internal/testenv"
	"example.com/saas/middleware"
	"example.com/saas/models"
)

// TestSignOutRevokesOnThisInstanceAtOnce: after sign-out commits, this
// instance refuses the session on the very next request, without waiting
// for its own NOTIFY (no Listener runs here). Clerk being down does not
// keep anyone signed in.
func TestSignOutRevokesOnThisInstanceAtOnce(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	clerkDown := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer clerkDown.Close()
	url, key := clerkDown.URL, "sk_test_x"
	revoked := live.NewRevocations(db)
	revoked.SetLive(true) // answers from memory, as with a Listener running
	h := &Handlers{
		Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		DB:          db,
		Sessions:    middleware.NewSessionStore(make([]byte, 32), false),
		Clerk:       Clerk{Sessions: session.NewClient(&clerk.ClientConfig{BackendConfig: clerk.BackendConfig{URL: &url, Key: &key}})},
		Revocations: revoked,
		BaseURL:     &neturl.URL{Scheme: "http", Host: "localhost:8080"},
	}
	const sid = "sess_signout"
	r := httptest.NewRequest(http.MethodPost, "/sign-out", nil)
	r = r.WithContext(models.WithIdentity(r.Context(), models.Identity{UserID: "user_1", SessionID: sid}))
	w := httptest.NewRecorder()
	h.signOut(w, r)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign-out = %d, want 303", w.Code)
	}
	if ok, err := revoked.IsRevoked(context.Background(), sid); err != nil || !ok {
		t.Fatalf("IsRevoked right after sign-out = %v, %v; want true", ok, err)
	}
}
