package clerkauth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/go-jose/go-jose/v3"
	josejwt "github.com/go-jose/go-jose/v3/jwt"

	"example.com/saas/internal/clerkfixtures"
)

const issuer = "http://127.0.0.1:8081"

var (
	keyOnce      sync.Once
	testKey      *rsa.PrivateKey
	otherTestKey *rsa.PrivateKey
)

func keys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	keyOnce.Do(func() {
		testKey, _ = rsa.GenerateKey(rand.Reader, 2048)
		otherTestKey, _ = rsa.GenerateKey(rand.Reader, 2048)
	})
	return testKey, otherTestKey
}

func jwkOf(k *rsa.PrivateKey, kid string) *clerk.JSONWebKey {
	return &clerk.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}
}

func sign(t testing.TB, k *rsa.PrivateKey, kid string, claims any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := josejwt.Signed(s).Claims(claims).CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func staticCache(set ...*clerk.JSONWebKey) *JWKSCache {
	return NewJWKSCache(func(context.Context) (*clerk.JSONWebKeySet, error) {
		return &clerk.JSONWebKeySet{Keys: set}, nil
	})
}

func claimsAt(now time.Time, extra map[string]any) map[string]any {
	c := map[string]any{
		"iss": issuer, "sub": "user_1", "sid": "sess_1", "azp": "http://localhost:8080",
		"iat": now.Unix(), "nbf": now.Unix() - 10, "exp": now.Unix() + 60, "v": 2,
		"fva": []int{0, -1},
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func TestVerifyAcceptsEmulatorShapedTokenWithOrg(t *testing.T) {
	t.Parallel()
	k, _ := keys(t)
	now := time.Now()
	v := &Verifier{Keys: staticCache(jwkOf(k, "kid1")), ProxyURL: issuer, AuthorizedParties: []string{"http://localhost:8080"}}
	// As the emulator and Clerk write them: custom permissions only, no org:sys_*.
	tok := sign(t, k, "kid1", claimsAt(now, map[string]any{
		"fea": "o:projects",
		"o":   map[string]any{"id": "org_1", "slg": "acme", "rol": "member", "per": "manage,read", "fpm": "3"},
	}))
	c, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.Subject != "user_1" || c.SessionID != "sess_1" || c.ActiveOrganizationID != "org_1" || c.ActiveOrganizationRole != "org:member" {
		t.Errorf("claims = %+v", c.Claims)
	}
	if !c.HasPermission("org:projects:manage") || !c.HasPermission("org:projects:read") || c.HasPermission("org:sys_memberships:read") {
		t.Errorf("permissions = %v", c.ActiveOrganizationPermissions)
	}
}

func TestVerifyRefusesForgedAndInvalidTokens(t *testing.T) {
	t.Parallel()
	k, other := keys(t)
	now := time.Now()
	v := &Verifier{Keys: staticCache(jwkOf(k, "kid1")), ProxyURL: issuer, AuthorizedParties: []string{"http://localhost:8080"}}
	valid := sign(t, k, "kid1", claimsAt(now, nil))
	parts := strings.Split(valid, ".")

	tamperedPayload := func() string {
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var m map[string]any
		json.Unmarshal(raw, &m)
		m["sub"] = "user_admin"
		b, _ := json.Marshal(m)
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
	}
	algNone := func() string {
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"kid1","typ":"JWT"}`))
		return h + "." + parts[1] + "."
	}
	hs256WithPublicKey := func() string {
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"kid1","typ":"JWT"}`))
		der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		mac := hmac.New(sha256.New, pemKey)
		mac.Write([]byte(h + "." + parts[1]))
		return h + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}

	tests := []struct {
		name  string
		token string
		want  error // nil: any error
	}{
		{"garbage", "not-a-jwt", ErrMalformed},
		{"empty", "", ErrMalformed},
		{"alg none", algNone(), nil},
		{"HS256 keyed with the public key", hs256WithPublicKey(), nil},
		{"tampered payload", tamperedPayload(), nil},
		{"signed by another key", sign(t, other, "kid1", claimsAt(now, nil)), nil},
		{"unknown kid", sign(t, other, "kid-unknown", claimsAt(now, nil)), ErrUnknownKey},
		{"expired", sign(t, k, "kid1", claimsAt(now.Add(-2*time.Minute), nil)), ErrExpired},
		{"not yet valid", sign(t, k, "kid1", claimsAt(now.Add(time.Minute), map[string]any{"nbf": now.Unix() + 60})), ErrNotYet},
		{"issued in the future", sign(t, k, "kid1", claimsAt(now, map[string]any{"iat": now.Unix() + 60})), ErrNotYet},
		{"wrong azp", sign(t, k, "kid1", claimsAt(now, map[string]any{"azp": "https://evil.example"})), nil},
		{"wrong issuer", sign(t, k, "kid1", claimsAt(now, map[string]any{"iss": "https://clerk.evil.example"})), nil},
		{"no sub", sign(t, k, "kid1", claimsAt(now, map[string]any{"sub": nil})), nil},
		{"no sid", sign(t, k, "kid1", claimsAt(now, map[string]any{"sid": nil})), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tt.token)
			if err == nil {
				t.Fatalf("Verify accepted it: %+v", c)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyLeewayAndMissingAZP(t *testing.T) {
	t.Parallel()
	k, _ := keys(t)
	now := time.Now()
	v := &Verifier{Keys: staticCache(jwkOf(k, "kid1")), ProxyURL: issuer, AuthorizedParties: []string{"http://localhost:8080"}}
	// Expired 3 s ago: within the 5 s leeway.
	tok := sign(t, k, "kid1", claimsAt(now, map[string]any{"iat": now.Unix() - 63, "nbf": now.Unix() - 73, "exp": now.Unix() - 3}))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Errorf("token expired 3 s ago refused: %v", err)
	}
	// A native app's token has no azp.
	if _, err := v.Verify(context.Background(), sign(t, k, "kid1", claimsAt(now, map[string]any{"azp": nil}))); err != nil {
		t.Errorf("token without azp refused: %v", err)
	}
}

type fixtures struct {
	JWT  string `json:"jwt"`
	JWKS struct {
		Keys []json.RawMessage `json:"keys"`
	} `json:"jwks"`
	Payload struct {
		Sub string `json:"sub"`
		Sid string `json:"sid"`
		Exp int64  `json:"exp"`
	} `json:"payload"`
	ValidAt  int64 `json:"valid_at_unix"`
	Expected struct {
		AuthorizedParties []string `json:"authorized_parties"`
	} `json:"expected_verify_options"`
	Negative map[string]string `json:"negative"`
}

// TestVerifyClerkFixture checks Clerk's own session-token fixture from
// @clerk/backend (a v1 token) at its validity time.
func TestVerifyClerkFixture(t *testing.T) {
	t.Parallel()
	var f fixtures
	clerkfixtures.Decode(t, "jsbackend-fixtures.json", &f)
	var jwk clerk.JSONWebKey
	if err := json.Unmarshal(f.JWKS.Keys[0], &jwk); err != nil {
		t.Fatal(err)
	}
	at := func(unix int64) *Verifier {
		return &Verifier{Keys: staticCache(&jwk), AuthorizedParties: f.Expected.AuthorizedParties, Now: func() time.Time { return time.Unix(unix, 0) }}
	}
	c, err := at(f.ValidAt).Verify(context.Background(), f.JWT)
	if err != nil {
		t.Fatalf("Clerk's fixture token refused: %v", err)
	}
	if c.Subject != f.Payload.Sub || c.SessionID != f.Payload.Sid {
		t.Errorf("claims = %s/%s, want %s/%s", c.Subject, c.SessionID, f.Payload.Sub, f.Payload.Sid)
	}
	if _, err := at(f.Payload.Exp+1).Verify(context.Background(), f.JWT); err != nil {
		t.Errorf("1 s after exp (within leeway) refused: %v", err)
	}
	if _, err := at(f.Payload.Exp+60).Verify(context.Background(), f.JWT); !errors.Is(err, ErrExpired) {
		t.Errorf("60 s after exp = %v, want ErrExpired", err)
	}
	for name, tok := range f.Negative {
		if !strings.HasPrefix(tok, "ey") {
			continue
		}
		if _, err := at(f.ValidAt).Verify(context.Background(), tok); err == nil {
			t.Errorf("negative fixture %s accepted", name)
		}
	}
}

func TestJWKSCacheRefreshesOnUnknownKidOnce(t *testing.T) {
	t.Parallel()
	k, other := keys(t)
	var calls atomic.Int32
	current := []*clerk.JSONWebKey{jwkOf(k, "a")}
	var mu sync.Mutex
	c := NewJWKSCache(func(context.Context) (*clerk.JSONWebKeySet, error) {
		calls.Add(1)
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		return &clerk.JSONWebKeySet{Keys: current}, nil
	})
	c.MinRefresh = 0
	if _, err := c.Key(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	// Rotation: the new kid appears; many concurrent requests share one fetch.
	mu.Lock()
	current = []*clerk.JSONWebKey{jwkOf(k, "a"), jwkOf(other, "b")}
	mu.Unlock()
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Key(context.Background(), "b"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := calls.Load(); got != 2 {
		t.Errorf("fetches = %d, want 2 (initial + one shared refresh)", got)
	}
}

func TestJWKSCacheRateLimitsUnknownKids(t *testing.T) {
	t.Parallel()
	k, _ := keys(t)
	var calls atomic.Int32
	c := NewJWKSCache(func(context.Context) (*clerk.JSONWebKeySet, error) {
		calls.Add(1)
		return &clerk.JSONWebKeySet{Keys: []*clerk.JSONWebKey{jwkOf(k, "a")}}, nil
	})
	for i := range 50 {
		if _, err := c.Key(context.Background(), "forged-"+string(rune('a'+i%26))); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("forged kid: %v", err)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("fetches for 50 forged kids = %d, want 1 (MinRefresh spacing)", got)
	}
}

func TestJWKSCacheRetiresKeysAndSurvivesOutage(t *testing.T) {
	t.Parallel()
	k, _ := keys(t)
	now := time.Now()
	fail := false
	set := []*clerk.JSONWebKey{jwkOf(k, "old")}
	c := NewJWKSCache(func(context.Context) (*clerk.JSONWebKeySet, error) {
		if fail {
			return nil, errors.New("clerk unreachable")
		}
		return &clerk.JSONWebKeySet{Keys: set}, nil
	})
	c.now = func() time.Time { return now }
	if _, err := c.Key(context.Background(), "old"); err != nil {
		t.Fatal(err)
	}
	// Clerk is down past MaxAge: the cached key keeps working.
	fail = true
	now = now.Add(2 * time.Hour)
	if _, err := c.Key(context.Background(), "old"); err != nil {
		t.Errorf("cached key refused during an outage: %v", err)
	}
	// Clerk is back and retired the key: after MaxAge it is gone, even
	// though it was used constantly (the SDK's cache would keep it).
	fail = false
	set = []*clerk.JSONWebKey{jwkOf(k, "new")}
	now = now.Add(2 * time.Hour)
	if _, err := c.Key(context.Background(), "old"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("retired key after MaxAge: %v, want ErrUnknownKey", err)
	}
}

func TestHandshakePayload(t *testing.T) {
	t.Parallel()
	k, other := keys(t)
	cache := staticCache(jwkOf(k, "kid1"))
	directives := []string{
		"__clerk_handshake=; Path=/; Max-Age=0",
		"__session=; Path=/; Max-Age=0",
		"__session=tok123; Path=/; SameSite=Lax",
		"__client_uat=1700000000; Path=/; Max-Age=315360000",
	}
	tok := sign(t, k, "kid1", map[string]any{"handshake": directives})
	got, err := ParseHandshake(context.Background(), cache, tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || SessionFromDirectives(got) != "tok123" {
		t.Errorf("directives = %v, session %q", got, SessionFromDirectives(got))
	}
	if _, err := ParseHandshake(context.Background(), cache, sign(t, other, "kid1", map[string]any{"handshake": directives})); err == nil {
		t.Error("handshake signed by another key accepted")
	}
	signedOut := []string{"__session=; Path=/; Max-Age=0", "__client_uat=0; Path=/"}
	if s := SessionFromDirectives(signedOut); s != "" {
		t.Errorf("signed-out directives gave session %q", s)
	}
}

func TestHandshakeURLAndStripping(t *testing.T) {
	t.Parallel()
	u := HandshakeURL("http://127.0.0.1:8081/", "http://localhost:8080/orgs/acme?x=1&__clerk_db_jwt=dvb_1", "dev-browser-sync", "dvb_1")
	want := "http://127.0.0.1:8081/v1/client/handshake?redirect_url=http%3A%2F%2Flocalhost%3A8080%2Forgs%2Facme%3Fx%3D1&__clerk_api_version=" + APIVersion +
		"&suffixed_cookies=false&__clerk_hs_reason=dev-browser-sync&format=nonce&__clerk_db_jwt=dvb_1"
	if u != want {
		t.Errorf("HandshakeURL =\n %s\nwant\n %s", u, want)
	}
	got := StripProtocolParams("http://localhost:8080/p?a=1&__clerk_handshake=x&__clerk_handshake_nonce=n&__clerk_db_jwt=d&__dev_session=s")
	if got != "http://localhost:8080/p?a=1" {
		t.Errorf("StripProtocolParams = %s", got)
	}
}

// TestVerifiedTokensExpireFromTheCache: a token verified once is not
// re-verified while valid, and is refused once it expires.
func TestVerifiedTokensExpireFromTheCache(t *testing.T) {
	t.Parallel()
	k, _ := keys(t)
	now := time.Now()
	var fetches atomic.Int32
	cache := NewJWKSCache(func(context.Context) (*clerk.JSONWebKeySet, error) {
		fetches.Add(1)
		return &clerk.JSONWebKeySet{Keys: []*clerk.JSONWebKey{jwkOf(k, "kid1")}}, nil
	})
	v := &Verifier{Keys: cache, ProxyURL: issuer, Now: func() time.Time { return now }}
	tok := sign(t, k, "kid1", claimsAt(now, map[string]any{"azp": nil}))
	for range 3 {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if len(v.verified.m) != 1 {
		t.Errorf("cache holds %d tokens, want 1", len(v.verified.m))
	}
	now = now.Add(66 * time.Second) // exp (60 s) + leeway (5 s) + 1
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired cached token = %v, want ErrExpired", err)
	}
}
