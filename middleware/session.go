package middleware

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
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
	// LastOrg is the slug of the organization last recorded as the user's
	// last used (OrgMemory), so a page view of it records nothing again.
	LastOrg string
}

// SessionStore holds the app's cookies, signed (HMAC) and encrypted (AES),
// HttpOnly, SameSite=Lax, Secure over https: the app session, read on every
// request and so stored as compact JSON, and the flash messages.
type SessionStore struct {
	store   *sessions.CookieStore // the app session (appSessionJSON)
	flashes *sessions.CookieStore // flash messages (gob, gorilla's default)
}

// NewSessionStore derives separate signing and encryption keys from secret.
func NewSessionStore(secret []byte, secure bool) *SessionStore {
	newStore := func() *sessions.CookieStore {
		s := sessions.NewCookieStore(deriveKey(secret, "app-session-hash"), deriveKey(secret, "app-session-block"))
		s.Options = &sessions.Options{
			Path:     "/",
			MaxAge:   int((30 * 24 * time.Hour).Seconds()),
			HttpOnly: true,
			Secure:   secure,
			SameSite: http.SameSiteLaxMode,
		}
		s.MaxAge(s.Options.MaxAge)
		return s
	}
	app := newStore()
	for _, c := range app.Codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.SetSerializer(appSessionJSON{})
		}
	}
	return &SessionStore{store: app, flashes: newStore()}
}

// appSessionJSON serializes the app session's values as a small JSON
// object. gob, gorilla's default, compiles a decoder for every cookie it
// reads: on a page request that was a tenth of all allocations.
type appSessionJSON struct{}

// appSessionWire is the app session cookie's content.
type appSessionWire struct {
	UserID     string `json:"u"`
	SessionID  string `json:"s"`
	VerifiedAt int64  `json:"a"`
	LastOrg    string `json:"o,omitempty"`
}

// Serialize implements securecookie.Serializer for the session's values.
func (appSessionJSON) Serialize(src any) ([]byte, error) {
	v, ok := src.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("app session: cannot serialize %T", src)
	}
	var w appSessionWire
	w.UserID, _ = v["uid"].(string)
	w.SessionID, _ = v["sid"].(string)
	w.VerifiedAt, _ = v["at"].(int64)
	w.LastOrg, _ = v["org"].(string)
	return json.Marshal(w)
}

// Deserialize implements securecookie.Serializer for the session's values.
func (appSessionJSON) Deserialize(src []byte, dst any) error {
	v, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("app session: cannot deserialize into %T", dst)
	}
	var w appSessionWire
	if err := json.Unmarshal(src, &w); err != nil {
		return fmt.Errorf("app session: %w", err)
	}
	if *v == nil {
		*v = map[any]any{}
	}
	(*v)["uid"], (*v)["sid"], (*v)["org"] = w.UserID, w.SessionID, w.LastOrg
	if w.VerifiedAt != 0 {
		(*v)["at"] = w.VerifiedAt
	}
	return nil
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
	sess.Values["at"] = a.VerifiedAt.Unix()
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
	sess, _ := s.flashes.Get(r, flashCookie)
	sess.AddFlash(kind + "\x00" + message)
	sess.Save(r, w)
}

// Flashes returns and clears the queued messages.
func (s *SessionStore) Flashes(w http.ResponseWriter, r *http.Request) []Flash {
	sess, _ := s.flashes.Get(r, flashCookie)
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
