package middleware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"example.com/saas/clerkauth"
	"example.com/saas/models"
)

// Auth identifies the user of each request, the way Clerk's server SDKs do
// (authenticateRequest), for pages that load no Clerk JavaScript:
//
//  1. Authorization: Bearer <session token> (API, mobile, services);
//  2. the __session cookie, kept fresh by Clerk's handshake on page loads;
//  3. the app's own signed, encrypted session cookie, which carries a recent
//     verification across requests that cannot handshake (form posts, htmx).
//
// Every identity is also checked against the revoked-sessions table, so a
// session Clerk reports ended is refused at once on every instance.
// Auth never refuses a request itself: RequireUser does. It runs after the
// request id, logging and recovery middleware.
type Auth struct {
	Verifier *clerkauth.Verifier
	Sessions *SessionStore
	// Revoked reports whether Clerk ended, removed or revoked a session.
	Revoked func(ctx context.Context, sessionID string) (bool, error)
	// FrontendAPI is the Frontend API URL (handshake); APIURL and SecretKey
	// redeem handshake nonces.
	FrontendAPI string
	APIURL      string
	SecretKey   string
	HTTPClient  *http.Client
	// Nonces redeems handshake nonces with a bound on the Backend API calls
	// they cost; nil means clerkauth's defaults with APIURL and SecretKey.
	Nonces *clerkauth.NonceRedeemer
	// BaseURL is the app's public URL: return URLs are built from it, never
	// from the Host header.
	BaseURL *url.URL
	// Development instances (pk_test_) use the dev browser (__clerk_db_jwt).
	Development bool
	// SessionMaxAge bounds how long the app session stands in for __session.
	SessionMaxAge time.Duration
	Log           *slog.Logger
	// RenderError shows the error page when a handshake loops.
	RenderError func(http.ResponseWriter, *http.Request, error)
	Now         func() time.Time

	nonce nonceState
}

// Middleware runs Auth on every request.
func (a *Auth) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token, ok := clerkauth.BearerToken(r); ok {
			a.serveBearer(w, r, token, next)
			return
		}
		if a.resolveHandshake(w, r) {
			return
		}
		id, handshakeReason := a.fromCookies(w, r)
		if id == nil && handshakeReason != "" && handshakeEligible(r) {
			a.redirectToHandshake(w, r, handshakeReason)
			return
		}
		if r, ok := a.withIdentity(w, r, id); ok {
			next.ServeHTTP(w, r)
		}
	})
}

func (a *Auth) serveBearer(w http.ResponseWriter, r *http.Request, token string, next http.Handler) {
	claims, err := a.Verifier.Verify(r.Context(), token)
	if err != nil {
		a.refused(r, "bearer", err)
		next.ServeHTTP(w, r)
		return
	}
	id := identityFrom(claims, "bearer")
	if r, ok := a.withIdentity(w, r, &id); ok {
		next.ServeHTTP(w, r)
	}
}

// fromCookies evaluates Clerk's cookie decision table (docs/clerk.md,
// "The decision table"). It returns the identity, or the reason a
// handshake should refresh the session ("" when the visitor is signed out).
func (a *Auth) fromCookies(w http.ResponseWriter, r *http.Request) (*models.Identity, string) {
	if a.Development {
		if r.URL.Query().Get(clerkauth.ParamDevBrowser) != "" {
			return nil, "dev-browser-sync"
		}
		if cookieValue(r, clerkauth.CookieDevBrowser) == "" {
			return nil, "dev-browser-missing"
		}
	}
	uat := clientUAT(r)
	token := cookieValue(r, clerkauth.CookieSession)
	app := a.Sessions.Load(r)
	switch {
	case uat == 0 && token == "":
		a.clearStaleAppSession(w, r, app)
		return nil, ""
	case uat == 0:
		a.clearStaleAppSession(w, r, app)
		return nil, "session-token-but-no-client-uat"
	case token == "":
		return a.fromAppSession(app), "client-uat-but-no-session-token"
	}
	// A token older than the client's last change (a sign-in or sign-out
	// since) is stale even if valid. The check follows verification, which
	// is cached per token, so the hot path parses the token only once.
	claims, err := a.Verifier.Verify(r.Context(), token)
	switch {
	case err == nil && claims.IssuedAt != nil && *claims.IssuedAt < uat:
		return nil, "session-token-iat-before-client-uat"
	case err == nil:
		id := identityFrom(claims, "cookie")
		a.rememberVerified(w, r, app, id)
		return &id, ""
	case errors.Is(err, clerkauth.ErrExpired):
		if iat, ok := clerkauth.IssuedAt(token); ok && iat < uat {
			return nil, "session-token-iat-before-client-uat"
		}
		return a.fromAppSession(app), "session-token-expired"
	case errors.Is(err, clerkauth.ErrNotYet):
		return nil, "session-token-nbf"
	default:
		a.refused(r, "cookie", err)
		return nil, ""
	}
}

// fromAppSession accepts the app session while its last verification is
// recent enough.
func (a *Auth) fromAppSession(app AppSession) *models.Identity {
	if app.UserID == "" || a.now().Sub(app.VerifiedAt) > a.SessionMaxAge {
		return nil
	}
	return &models.Identity{UserID: app.UserID, SessionID: app.SessionID, Source: "app_session"}
}

// rememberVerified refreshes the app session after a verified __session,
// writing the cookie only when something changed or a minute has passed.
func (a *Auth) rememberVerified(w http.ResponseWriter, r *http.Request, app AppSession, id models.Identity) {
	if app.UserID == id.UserID && app.SessionID == id.SessionID && a.now().Sub(app.VerifiedAt) < time.Minute {
		return
	}
	next := AppSession{UserID: id.UserID, SessionID: id.SessionID, VerifiedAt: a.now()}
	if app.UserID == id.UserID {
		next.LastOrg = app.LastOrg
	}
	if err := a.Sessions.Save(w, r, next); err != nil {
		a.Log.WarnContext(r.Context(), "save app session", slog.Any("error", err))
	}
}

func (a *Auth) clearStaleAppSession(w http.ResponseWriter, r *http.Request, app AppSession) {
	if app.UserID != "" {
		a.Sessions.Clear(w, r)
	}
}

// withIdentity checks revocation and returns r carrying the identity. When
// the revocation list cannot be read it answers the request itself (ok is
// false) with the 500 page: the session is neither vouched for nor treated
// as signed out, which would send API clients a 401 and pages to sign-in.
func (a *Auth) withIdentity(w http.ResponseWriter, r *http.Request, id *models.Identity) (_ *http.Request, ok bool) {
	if id == nil {
		return r, true
	}
	revoked, err := a.Revoked(r.Context(), id.SessionID)
	if err != nil {
		a.RenderError(w, r, fmt.Errorf("check session revocation: %w", err))
		return r, false
	}
	if revoked {
		a.refused(r, id.Source, errors.New("session revoked"))
		if id.Source != "bearer" {
			a.Sessions.Clear(w, r)
			http.SetCookie(w, &http.Cookie{Name: clerkauth.CookieSession, Path: "/", MaxAge: -1})
		}
		return r, true
	}
	NoteUser(r.Context(), id.UserID)
	return r.WithContext(models.WithIdentity(r.Context(), *id)), true
}

func (a *Auth) refused(r *http.Request, source string, err error) {
	a.Log.WarnContext(r.Context(), "credentials refused", slog.String("source", source), slog.String("reason", err.Error()))
}

func (a *Auth) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Auth) httpClient() *http.Client {
	if a.HTTPClient != nil {
		return a.HTTPClient
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// identityFrom keeps only which user, session and organization the token
// names: the role and permissions come from the synced membership (Tenant).
func identityFrom(c *clerk.SessionClaims, source string) models.Identity {
	id := clerkauth.IdentityOf(c)
	return models.Identity{UserID: id.UserID, SessionID: id.SessionID, OrgID: id.OrgID, OrgSlug: id.OrgSlug, Source: source}
}

// bearerToken is clerkauth.BearerToken: the gateway and services read the
// header the same way.
func clientUAT(r *http.Request) int64 {
	v, err := strconv.ParseInt(cookieValue(r, clerkauth.CookieClientUAT), 10, 64)
	if err != nil || v < 0 {
		return 0
	}
	return v
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}
