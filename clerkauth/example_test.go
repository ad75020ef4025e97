package clerkauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v3"
	josejwt "github.com/go-jose/go-jose/v3/jwt"

	"example.com/saas/clerkauth"
)

// A service accepts the app's session tokens in five lines; here the
// Clerk instance is a local key and the JWKS it publishes.
func ExampleMiddleware() {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	clerk := fakeClerk(key)
	defer clerk.Close()

	v, err := clerkauth.NewVerifier(clerkauth.Config{FrontendAPIURL: clerk.URL, AuthorizedParties: []string{"https://app.example.com"}})
	if err != nil {
		panic(err)
	}
	auth := &clerkauth.Middleware{Verifier: v}
	svc := auth.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := clerkauth.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s of %s (%s)", id.UserID, id.OrgSlug, id.OrgRole)
	}))

	token := sessionToken(key, clerk.URL, "https://app.example.com")
	fmt.Println(call(svc, "Bearer "+token))
	fmt.Println(call(svc, ""))
	fmt.Println(call(svc, "Bearer "+sessionToken(key, clerk.URL, "https://evil.example")))
	// Output:
	// 200 hello user_1 of acme (org:admin)
	// 401 {"error":{"code":"unauthenticated","message":"Send a valid Clerk session token as Authorization: Bearer \u003ctoken\u003e."}}
	// 401 {"error":{"code":"unauthenticated","message":"Send a valid Clerk session token as Authorization: Bearer \u003ctoken\u003e."}}
}

// With Optional, a handler serves anonymous callers too and decides itself.
func ExampleMiddleware_optional() {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	clerk := fakeClerk(key)
	defer clerk.Close()

	v, _ := clerkauth.NewVerifier(clerkauth.Config{FrontendAPIURL: clerk.URL})
	auth := &clerkauth.Middleware{Verifier: v, Optional: true}
	svc := auth.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := clerkauth.FromContext(r.Context()); ok {
			fmt.Fprintf(w, "signed in as %s", id.UserID)
			return
		}
		fmt.Fprint(w, "anonymous")
	}))
	fmt.Println(call(svc, "Bearer "+sessionToken(key, clerk.URL, "")))
	fmt.Println(call(svc, "Bearer forged"))
	// Output:
	// 200 signed in as user_1
	// 200 anonymous
}

// fakeClerk serves key's public half as the Frontend API's JWKS.
func fakeClerk(key *rsa.PrivateKey) *httptest.Server {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "ins_example", Algorithm: "RS256", Use: "sig"}}}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(set)
	}))
}

// sessionToken is a Clerk v2 session token of user_1, admin of acme.
func sessionToken(key *rsa.PrivateKey, issuer, azp string) string {
	now := time.Now().Unix()
	claims := map[string]any{
		"iss": issuer, "sub": "user_1", "sid": "sess_1", "iat": now, "nbf": now - 10, "exp": now + 60, "v": 2,
		"o": map[string]any{"id": "org_1", "slg": "acme", "rol": "admin"},
	}
	if azp != "" {
		claims["azp"] = azp
	}
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "ins_example"))
	token, _ := josejwt.Signed(signer).Claims(claims).CompactSerialize()
	return token
}

func call(h http.Handler, authorization string) string {
	r := httptest.NewRequest("GET", "/", nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return fmt.Sprintf("%d %s", w.Code, strings.TrimSpace(w.Body.String()))
}
