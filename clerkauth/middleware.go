package clerkauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/clerk/clerk-sdk-go/v2"
)

// Identity is who a verified session token names: its user and session,
// and the active organization with the caller's role and permissions in it
// ("" and nil when none is active).
type Identity struct {
	UserID         string
	SessionID      string
	OrgID          string
	OrgRole        string
	OrgSlug        string
	OrgPermissions []string
}

// IdentityOf reads the identity from verified claims (v1 and v2 formats,
// which clerk-sdk-go decodes alike).
func IdentityOf(c *clerk.SessionClaims) Identity {
	return Identity{
		UserID:         c.Subject,
		SessionID:      c.SessionID,
		OrgID:          c.ActiveOrganizationID,
		OrgRole:        c.ActiveOrganizationRole,
		OrgSlug:        c.ActiveOrganizationSlug,
		OrgPermissions: c.ActiveOrganizationPermissions,
	}
}

// Why Authenticate refuses a request, besides the Verifier's own errors.
var (
	ErrNoToken = errors.New("no session token")
	ErrRevoked = errors.New("session revoked")
	// ErrRevocationUnknown means the revocation hook failed: the session is
	// neither vouched for nor treated as signed out.
	ErrRevocationUnknown = errors.New("cannot check session revocation")
)

// BearerToken returns the token of an Authorization header ("Bearer <t>",
// or a bare token as Clerk's SDKs accept). A present but empty header is
// still "present", so it is refused rather than falling back to cookies.
func BearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	if scheme, token, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token), true
	}
	return strings.TrimSpace(h), true
}

// Token returns the request's session token: the Authorization header when
// present, else the __session cookie.
func Token(r *http.Request) (string, bool) {
	if token, ok := BearerToken(r); ok {
		return token, true
	}
	c, err := r.Cookie(CookieSession)
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}

// Middleware accepts the session tokens the app accepts, for any net/http
// service: it verifies the request's token (Token) with Verifier, asks
// Revoked whether the session was ended, and puts the Identity in the
// context (FromContext).
//
// Unlike the app's own middleware it runs no handshake and reads no
// __client_uat: a service is called by API clients and through the
// gateway, and a browser whose __session expired gets a 401 to refresh on.
type Middleware struct {
	Verifier *Verifier
	// Revoked reports whether Clerk ended a session (the app's
	// revoked_sessions table; see the package doc); nil trusts every
	// unexpired token, so a signed-out session works until its token
	// expires (a minute at most).
	Revoked func(ctx context.Context, sessionID string) (bool, error)
	// Optional lets requests without a valid session through anonymous,
	// for handlers that decide themselves (FromContext reports false);
	// otherwise they get 401 in the app's error envelope and the next
	// handler is not called.
	Optional bool
	// Log receives one warning per refused credential (never the token);
	// nil logs nothing.
	Log *slog.Logger
}

// Authenticate returns the identity of r's session token, or why there is none.
func (m *Middleware) Authenticate(r *http.Request) (Identity, error) {
	token, ok := Token(r)
	if !ok {
		return Identity{}, ErrNoToken
	}
	claims, err := m.Verifier.Verify(r.Context(), token)
	if err != nil {
		return Identity{}, err
	}
	id := IdentityOf(claims)
	if m.Revoked == nil {
		return id, nil
	}
	revoked, err := m.Revoked(r.Context(), id.SessionID)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrRevocationUnknown, err)
	}
	if revoked {
		return Identity{}, ErrRevoked
	}
	return id, nil
}

// Handler runs next for requests Authenticate accepts (and, when Optional,
// for anonymous ones).
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := m.Authenticate(r)
		switch {
		case err == nil:
			next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
		case errors.Is(err, ErrRevocationUnknown):
			m.logRefusal(r, err)
			WriteError(w, http.StatusServiceUnavailable, "auth_unavailable", "Signing in cannot be checked right now. Try again shortly.")
		case m.Optional:
			m.logRefusal(r, err)
			next.ServeHTTP(w, r)
		default:
			m.logRefusal(r, err)
			Unauthorized(w)
		}
	})
}

func (m *Middleware) logRefusal(r *http.Request, err error) {
	if m.Log == nil || errors.Is(err, ErrNoToken) {
		return
	}
	m.Log.WarnContext(r.Context(), "credentials refused", slog.String("reason", err.Error()))
}

type identityKey struct{}

// WithIdentity returns ctx carrying id (for tests of handlers behind Middleware).
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// FromContext returns the identity Middleware verified; false for an
// anonymous request (Optional) or outside Middleware.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// Unauthorized answers 401 as the app's API does.
func Unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	WriteError(w, http.StatusUnauthorized, "unauthenticated", "Send a valid Clerk session token as Authorization: Bearer <token>.")
}

// WriteError answers status with the app's error envelope:
// {"error": {"code": …, "message": …}}.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}
