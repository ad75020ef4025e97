// Package clerkauth implements the parts of Clerk's browser-session protocol
// a server-rendered Go app needs (docs/clerk.md describes it): a JWKS
// cache the app owns, networkless session-token verification with
// clerk-sdk-go's jwt.Verify, and the handshake's URL and payload.
//
// It also lets any other Go service accept the same session tokens
// (Authorization: Bearer, or the __session cookie), with a net/http
// middleware and the verified identity in the request's context:
//
//	v, err := clerkauth.NewVerifier(clerkauth.Config{FrontendAPIURL: os.Getenv("CLERK_FRONTEND_API_URL"), AuthorizedParties: []string{"https://app.example.com"}})
//	if err != nil { return err }
//	auth := &clerkauth.Middleware{Verifier: v, Revoked: revocations.IsRevoked}
//	http.ListenAndServe(addr, auth.Handler(mux))
//	// in a handler: id, ok := clerkauth.FromContext(r.Context()) // id.UserID, id.OrgID, id.OrgRole…
//
// Without a valid token the middleware answers 401 in the app's error
// envelope and the handler is not called (Optional passes such requests
// through anonymous instead). Revoked is the hook that refuses sessions
// Clerk ended before their token expires: in this module, internal/live's
// Revocations (the revoked_sessions table the app writes from Clerk's
// session webhooks), as the app and cmd/gateway use; a service of another
// module reads that table itself (models.IsSessionRevoked is the query) or
// sits behind cmd/gateway, which checks it for it.
package clerkauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"golang.org/x/sync/singleflight"
)

// ErrUnknownKey means no key with the token's kid is known, even after a refresh.
var ErrUnknownKey = errors.New("unknown signing key")

// FetchJWKS loads the instance's key set (clerk-sdk-go's jwks.Client.Get).
type FetchJWKS func(ctx context.Context) (*clerk.JSONWebKeySet, error)

// JWKSCache holds Clerk's signing keys. Unlike the SDK's own cache, a key's
// life is bounded by when the set was fetched (not extended on every hit),
// so a key Clerk retired leaves within MaxAge; an unknown kid triggers a
// refresh, at most one fetch runs at a time, and refreshes are spaced by
// MinRefresh so a flood of forged kids cannot hammer Clerk.
type JWKSCache struct {
	fetch      FetchJWKS
	MaxAge     time.Duration
	MinRefresh time.Duration
	now        func() time.Time

	group singleflight.Group
	mu    sync.RWMutex
	keys  map[string]*clerk.JSONWebKey
	// fetchedAt is when keys were loaded; lastTry when a fetch last started.
	fetchedAt time.Time
	lastTry   time.Time
}

// NewJWKSCache returns a cache that loads keys with fetch.
func NewJWKSCache(fetch FetchJWKS) *JWKSCache {
	return &JWKSCache{fetch: fetch, MaxAge: time.Hour, MinRefresh: 5 * time.Second, now: time.Now}
}

// Key returns the key with id kid. A stale set is refreshed; if Clerk is
// unreachable the stale keys keep working, so an outage does not sign
// everyone out.
func (c *JWKSCache) Key(ctx context.Context, kid string) (*clerk.JSONWebKey, error) {
	c.mu.RLock()
	key, ok := c.keys[kid]
	fresh := c.now().Sub(c.fetchedAt) < c.MaxAge
	mayRefresh := c.now().Sub(c.lastTry) >= c.MinRefresh
	c.mu.RUnlock()
	if ok && (fresh || !mayRefresh) {
		return key, nil
	}
	// A missing kid always goes through refresh: it joins a fetch already in
	// flight (the first requests after start, or after a key rotation, wait
	// for it instead of failing), and refresh starts at most one fetch per
	// MinRefresh, so a flood of forged kids still cannot hammer Clerk.
	err := c.refresh(ctx)
	c.mu.RLock()
	key, ok = c.keys[kid]
	c.mu.RUnlock()
	if ok {
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load Clerk JWKS: %w", err)
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownKey, kid)
}

func (c *JWKSCache) refresh(ctx context.Context) error {
	_, err, _ := c.group.Do("jwks", func() (any, error) {
		c.mu.Lock()
		if c.now().Sub(c.lastTry) < c.MinRefresh { // another caller just refreshed
			c.mu.Unlock()
			return nil, nil
		}
		c.lastTry = c.now()
		c.mu.Unlock()

		// Detached from the request so one cancelled request does not fail
		// the fetch every waiting request shares.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		set, err := c.fetch(fctx)
		if err != nil {
			return nil, err
		}
		keys := make(map[string]*clerk.JSONWebKey, len(set.Keys))
		for _, k := range set.Keys {
			if k != nil && k.KeyID != "" {
				keys[k.KeyID] = k
			}
		}
		c.mu.Lock()
		c.keys, c.fetchedAt = keys, c.now()
		c.mu.Unlock()
		return nil, nil
	})
	return err
}
