package middleware

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/sessions"
)

// The app session survives a round trip through its cookie, next to a
// flash message; the cookie is sealed (no field readable in it), and one
// written under another secret or in gorilla's gob format reads as no
// session.
func TestAppSessionCookie(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	store := NewSessionStore(secret, false)
	want := AppSession{UserID: "user_1", SessionID: "sess_1", VerifiedAt: time.Unix(1_790_000_000, 0), LastOrg: "acme"}

	rec := httptest.NewRecorder()
	if err := store.Save(rec, httptest.NewRequest("GET", "/", nil), want); err != nil {
		t.Fatal(err)
	}
	store.AddFlash(rec, httptest.NewRequest("GET", "/", nil), "success", "Saved.")
	req := httptest.NewRequest("GET", "/", nil)
	for _, c := range rec.Result().Cookies() {
		if c.Name == appSessionCookie && (strings.Contains(c.Value, "user_1") || strings.Contains(c.Value, "acme")) {
			t.Fatalf("app session cookie is readable: %s", c.Value)
		}
		req.AddCookie(c)
	}
	if got := store.Load(req); got != want {
		t.Fatalf("Load = %+v; want %+v", got, want)
	}
	if f := store.Flashes(httptest.NewRecorder(), req); len(f) != 1 || f[0].Message != "Saved." {
		t.Fatalf("Flashes = %+v", f)
	}

	// The same values sealed the way gorilla does by default (gob), and
	// sealed under another secret: neither is a session here.
	gobStore := sessions.NewCookieStore(deriveKey(secret, "app-session-hash"), deriveKey(secret, "app-session-block"))
	other := NewSessionStore([]byte("another-secret-another-secret-00"), false)
	for name, save := range map[string]func(http.ResponseWriter, *http.Request){
		"gob": func(w http.ResponseWriter, r *http.Request) {
			s, _ := gobStore.Get(r, appSessionCookie)
			s.Values["uid"] = "user_1"
			s.Save(r, w)
		},
		"other secret": func(w http.ResponseWriter, r *http.Request) { other.Save(w, r, want) },
	} {
		rec := httptest.NewRecorder()
		save(rec, httptest.NewRequest("GET", "/", nil))
		req := httptest.NewRequest("GET", "/", nil)
		for _, c := range rec.Result().Cookies() {
			req.AddCookie(c)
		}
		if got := store.Load(req); got != (AppSession{}) {
			t.Errorf("%s: Load = %+v; want no session", name, got)
		}
	}
}
