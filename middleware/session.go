package middleware

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"
)

// Cookie names of the app's own session and flash messages.
const (
	appSessionCookie = "app_session"
	flashCookie      = "app_flash"
)

// AppSession is what the app remembers about a verified sign-in: it lets
// requests through for a bounded time when Clerk's 60-second __session has
// expired and no handshake is possible (form posts, htmx, fetch).
type AppSession struct {
	UserID     string
	SessionID  string
	VerifiedAt time.Time
	// LastOrg is the slug of the organization last used, for /app.
	LastOrg string
}

// SessionStore is the app's one cookie store: signed (HMAC) and encrypted
// (AES), HttpOnly, SameSite=Lax, Secure over https.
type SessionStore struct {
	store *sessions.CookieStore
}

// NewSessionStore derives separate signing and encryption keys from secret.
func NewSessionStore(secret []byte, secure bool) *SessionStore {
	s := sessions.NewCookieStore(deriveKey(secret, "app-session-hash"), deriveKey(secret, "app-session-block"))
	s.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int((30 * 24 * time.Hour).Seconds()),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	s.MaxAge(s.Options.MaxAge)
	return &SessionStore{store: s}
}

func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// Load returns the app session of r (zero when absent or tampered with).
func (s *SessionStore) Load(r *http.Request) AppSession {
	sess, _ := s.store.Get(r, appSessionCookie)
	var a AppSession
	a.UserID, _ = sess.Values["uid"].(string)
	a.SessionID, _ = sess.Values["sid"].(string)
	if at, ok := sess.Values["at"].(int64); ok {
		a.VerifiedAt = time.Unix(at, 0)
	}
	a.LastOrg, _ = sess.Values["org"].(string)
	return a
}

// Save writes a.
func (s *SessionStore) Save(w http.ResponseWriter, r *http.Request, a AppSession) error {
	sess, _ := s.store.Get(r, appSessionCookie)
	sess.Values["uid"] = a.UserID
	sess.Values["sid"] = a.SessionID
	sess.Values["at"] = a.VerifiedAt.Unix() // plain int64: gob needs no registration
	sess.Values["org"] = a.LastOrg
	return sess.Save(r, w)
}

// Clear deletes the app session cookie.
func (s *SessionStore) Clear(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.store.Get(r, appSessionCookie)
	sess.Options = &sessions.Options{Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.store.Options.Secure, SameSite: http.SameSiteLaxMode}
	sess.Save(r, w)
}

// Flash is a one-time message.
type Flash struct {
	Kind    string
	Message string
}

// AddFlash queues a message for the next page.
func (s *SessionStore) AddFlash(w http.ResponseWriter, r *http.Request, kind, message string) {
	sess, _ := s.store.Get(r, flashCookie)
	sess.AddFlash(kind + "\x00" + message)
	sess.Save(r, w)
}

// Flashes returns and clears the queued messages.
func (s *SessionStore) Flashes(w http.ResponseWriter, r *http.Request) []Flash {
	sess, _ := s.store.Get(r, flashCookie)
	raw := sess.Flashes()
	if len(raw) == 0 {
		return nil
	}
	sess.Save(r, w)
	out := make([]Flash, 0, len(raw))
	for _, v := range raw {
		str, _ := v.(string)
		kind, msg, ok := strings.Cut(str, "\x00")
		if ok {
			out = append(out, Flash{Kind: kind, Message: msg})
		}
	}
	return out
}
