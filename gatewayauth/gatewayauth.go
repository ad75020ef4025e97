// Package gatewayauth is the contract between cmd/gateway and the services
// behind it: the gateway verifies a Clerk session token once, strips every
// identity header a client sent, and sets the identity it verified with a
// timestamp and an HMAC-SHA256 signature (keyed by a secret only the
// gateway and the services hold) over those values and the request's
// method, path and query. A service refuses any call whose signature is missing,
// wrong or too old, so it trusts the headers only when they came through
// the gateway.
//
// A service needs the Verifier's middleware and FromContext:
//
//	v := &gatewayauth.Verifier{Secret: []byte(os.Getenv("GATEWAY_SHARED_SECRET"))}
//	http.ListenAndServe(addr, v.Middleware(mux))
//	// in a handler: id, _ := gatewayauth.FromContext(r.Context())
package gatewayauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers the gateway sets on every call it forwards, and strips from
// every request it receives.
const (
	HeaderUserID    = "X-Clerk-User-Id"
	HeaderSessionID = "X-Clerk-Session-Id"
	HeaderOrgID     = "X-Clerk-Org-Id"
	HeaderOrgRole   = "X-Clerk-Org-Role"
	HeaderOrgSlug   = "X-Clerk-Org-Slug"
	HeaderTimestamp = "X-Gateway-Timestamp"
	HeaderSignature = "X-Gateway-Signature"
)

// Headers are all the headers of the contract, in signing order after the
// method, path and query.
var Headers = []string{HeaderTimestamp, HeaderUserID, HeaderSessionID, HeaderOrgID, HeaderOrgRole, HeaderOrgSlug, HeaderSignature}

// DefaultMaxAge is how old a signature may be (or how far ahead of the
// service's clock) before it is refused: enough for clock skew between
// hosts, short enough that a captured call cannot be replayed for long.
const DefaultMaxAge = 30 * time.Second

// Identity is who the gateway verified: the session's user and session,
// and its active organization ("" when none).
type Identity struct {
	UserID    string
	SessionID string
	OrgID     string
	OrgRole   string
	OrgSlug   string
}

// Strip deletes every header of the contract from h, whatever its case: a
// client must not be able to send its own identity.
func Strip(h http.Header) {
	for name := range h {
		for _, own := range Headers {
			if strings.EqualFold(name, own) {
				delete(h, name)
			}
		}
	}
}

// Sign sets id on r's headers (after Strip), with now as the timestamp and
// the signature over them and r's method, path and query, keyed by secret. The
// gateway calls it on the outgoing request, after any path rewrite, so the
// signature covers the path the service sees.
func Sign(r *http.Request, id Identity, secret []byte, now time.Time) {
	Strip(r.Header)
	ts := strconv.FormatInt(now.Unix(), 10)
	for _, h := range [...]struct{ name, value string }{
		{HeaderUserID, id.UserID}, {HeaderSessionID, id.SessionID},
		{HeaderOrgID, id.OrgID}, {HeaderOrgRole, id.OrgRole}, {HeaderOrgSlug, id.OrgSlug},
	} {
		if h.value != "" {
			r.Header.Set(h.name, h.value)
		}
	}
	r.Header.Set(HeaderTimestamp, ts)
	r.Header.Set(HeaderSignature, signature(secret, r.Method, r.URL.RequestURI(), ts, id))
}

// signature is "v1=" and the unpadded base64url HMAC-SHA256 of the method,
// the request target (path and query, as sent), timestamp and identity, one per line: a value cannot hold a newline
// (HTTP header values cannot), so no two requests share a payload.
func signature(secret []byte, method, target, ts string, id Identity) string {
	mac := hmac.New(sha256.New, secret)
	for _, part := range []string{"v1", method, target, ts, id.UserID, id.SessionID, id.OrgID, id.OrgRole, id.OrgSlug} {
		mac.Write([]byte(part))
		mac.Write([]byte{'\n'})
	}
	return "v1=" + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Why a Verifier refuses a request.
var (
	ErrUnsigned     = errors.New("gatewayauth: no gateway signature")
	ErrBadSignature = errors.New("gatewayauth: the signature does not match")
	ErrExpired      = errors.New("gatewayauth: the signature is too old or from the future")
	ErrNoUser       = errors.New("gatewayauth: no user identity")
)

// Verifier checks the gateway's signature on a service's requests.
type Verifier struct {
	// Secret is GATEWAY_SHARED_SECRET; an empty one refuses every request.
	Secret []byte
	// MaxAge bounds the timestamp's distance from Now (DefaultMaxAge when 0).
	MaxAge time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Verify returns the identity r carries when the gateway signed it.
func (v *Verifier) Verify(r *http.Request) (Identity, error) {
	sig, ts := r.Header.Get(HeaderSignature), r.Header.Get(HeaderTimestamp)
	if sig == "" || ts == "" || len(v.Secret) == 0 {
		return Identity{}, ErrUnsigned
	}
	id := Identity{
		UserID: r.Header.Get(HeaderUserID), SessionID: r.Header.Get(HeaderSessionID),
		OrgID: r.Header.Get(HeaderOrgID), OrgRole: r.Header.Get(HeaderOrgRole), OrgSlug: r.Header.Get(HeaderOrgSlug),
	}
	want := signature(v.Secret, r.Method, r.URL.RequestURI(), ts, id)
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return Identity{}, ErrBadSignature
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return Identity{}, ErrBadSignature
	}
	if age := v.now().Sub(time.Unix(unix, 0)).Abs(); age > v.maxAge() {
		return Identity{}, ErrExpired
	}
	if id.UserID == "" {
		return Identity{}, ErrNoUser
	}
	return id, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxAge() time.Duration {
	if v.MaxAge > 0 {
		return v.MaxAge
	}
	return DefaultMaxAge
}

// Middleware lets through only requests the gateway signed, with their
// identity in the context (FromContext); others get 401 in the app's error
// envelope, and next is not called.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := v.Verify(r)
		if err != nil {
			WriteError(w, http.StatusUnauthorized, "gateway_signature", "This service is reached only through the gateway.")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
	})
}

type identityKey struct{}

// FromContext returns the identity Middleware verified.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// WriteError answers status with the app's error envelope:
// {"error": {"code": …, "message": …}}.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}
