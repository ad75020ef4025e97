package clerkauth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/jwt"
	josejwt "github.com/go-jose/go-jose/v3/jwt"
)

// Leeway tolerates small clock skew on exp, nbf and iat (the SDK's default is 0).
const Leeway = 5 * time.Second

// Verification failures the middleware tells apart.
var (
	ErrExpired   = errors.New("session token expired")
	ErrNotYet    = errors.New("session token not valid yet")
	ErrMalformed = errors.New("malformed session token")
)

// Verifier checks Clerk session tokens without calling Clerk.
type Verifier struct {
	Keys *JWKSCache
	// ProxyURL is the exact issuer to require when the Frontend API URL is
	// overridden (Clerk's proxy feature or the local emulator); empty means
	// Clerk's own issuers (https://clerk.… or ….clerk.accounts…).
	ProxyURL string
	// AuthorizedParties are the origins accepted in azp. A token without azp
	// (a native app, a service) is accepted, as in clerk-sdk-go's middleware.
	AuthorizedParties []string
	Now               func() time.Time

	verified verifiedCache
}

// Verify checks the token's signature, algorithm, issuer, azp and times and
// returns its claims (v1 and v2 claim formats).
//
// The returned claims may be shared with other callers: treat them as read-only.
func (v *Verifier) Verify(ctx context.Context, token string) (*clerk.SessionClaims, error) {
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if c, ok := v.verified.get(token, now); ok {
		return c, nil
	}
	parsed, err := josejwt.ParseSigned(token)
	if err != nil || len(parsed.Headers) == 0 {
		return nil, ErrMalformed
	}
	key, err := v.Keys.Key(ctx, parsed.Headers[0].KeyID)
	if err != nil {
		return nil, err
	}
	params := &jwt.VerifyParams{
		Token:                  token,
		JWK:                    key,
		Leeway:                 Leeway,
		AuthorizedPartyHandler: v.authorizedParty,
	}
	if v.ProxyURL != "" {
		params.ProxyURL = clerk.String(v.ProxyURL)
	}
	if v.Now != nil {
		params.Clock = fixedClock(v.Now)
	}
	claims, err := jwt.Verify(ctx, params)
	if err != nil {
		return nil, classify(err)
	}
	if claims.Subject == "" || claims.SessionID == "" {
		return nil, fmt.Errorf("%w: no sub or sid", ErrMalformed)
	}
	if claims.Expiry != nil {
		v.verified.put(token, claims, time.Unix(*claims.Expiry, 0), now)
	}
	return claims, nil
}

// verifiedCache remembers tokens whose signature, issuer and azp were
// checked, until they expire: a session token is sent with every request of
// its minute, and RSA verification is most of the cost of authentication.
// Expiry is checked again on every hit; revocation is not this cache's
// business (the middleware checks it on every request).
type verifiedCache struct {
	mu sync.Mutex
	m  map[string]verifiedToken
}

type verifiedToken struct {
	claims *clerk.SessionClaims
	exp    time.Time
}

// maxVerified bounds the cache's memory (a few MB at most).
const maxVerified = 4096

func (c *verifiedCache) get(token string, now time.Time) (*clerk.SessionClaims, bool) {
	c.mu.Lock()
	e, ok := c.m[token]
	c.mu.Unlock()
	if !ok || now.After(e.exp.Add(Leeway)) {
		return nil, false
	}
	return e.claims, true
}

func (c *verifiedCache) put(token string, claims *clerk.SessionClaims, exp, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]verifiedToken)
	}
	if len(c.m) >= maxVerified {
		for k, e := range c.m {
			if now.After(e.exp.Add(Leeway)) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxVerified {
			clear(c.m)
		}
	}
	c.m[token] = verifiedToken{claims: claims, exp: exp}
}

func (v *Verifier) authorizedParty(azp string) bool {
	return azp == "" || slices.Contains(v.AuthorizedParties, strings.TrimRight(azp, "/"))
}

// classify maps go-jose's time errors to ours, so callers can tell an
// expired token (handshake) from a forged one (refuse).
func classify(err error) error {
	switch {
	case errors.Is(err, josejwt.ErrExpired):
		return ErrExpired
	case errors.Is(err, josejwt.ErrNotValidYet), errors.Is(err, josejwt.ErrIssuedInTheFuture):
		return fmt.Errorf("%w: %v", ErrNotYet, err)
	default:
		return fmt.Errorf("invalid session token: %w", err)
	}
}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

func fixedClock(now func() time.Time) clerk.Clock { return clockFunc(now) }

// IssuedAt returns the token's iat without verifying it (for comparing with
// __client_uat before verification, as Clerk's SDKs do).
func IssuedAt(token string) (int64, bool) {
	parsed, err := josejwt.ParseSigned(token)
	if err != nil {
		return 0, false
	}
	var c josejwt.Claims
	if err := parsed.UnsafeClaimsWithoutVerification(&c); err != nil || c.IssuedAt == nil {
		return 0, false
	}
	return int64(*c.IssuedAt), true
}
