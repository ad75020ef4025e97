package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"testing"
	"time"

	"example.com/saas/internal/clerksync"
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
	revoked := live.NewRevocations(db)
	revoked.SetLive(true) // answers from memory, as with a Listener running
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := clerksync.NewStore(db, testenv.TenantRole, nil, revoked)
	h := New(Deps{
		Log:      log,
		DB:       db,
		Sessions: middleware.NewSessionStore(make([]byte, 32), false),
		Clerk:    clerksync.New(clerksync.Backend("sk_test_x", clerkDown.URL, time.Second), store, log),
		BaseURL:  &neturl.URL{Scheme: "http", Host: "localhost:8080"},
	})
	const sid = "sess_signout"
	r := httptest.NewRequest(http.MethodPost, "/sign-out", nil)
	r = r.WithContext(models.WithIdentity(r.Context(), models.Identity{UserID: "user_1", SessionID: sid}))
	w := httptest.NewRecorder()
	h.auth.signOut(w, r)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign-out = %d, want 303", w.Code)
	}
	if ok, err := revoked.IsRevoked(context.Background(), sid); err != nil || !ok {
		t.Fatalf("IsRevoked right after sign-out = %v, %v; want true", ok, err)
	}
}
