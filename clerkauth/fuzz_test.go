package clerkauth

import (
	"context"
	"testing"
)

// FuzzVerifyAndHandshake: random tokens are never accepted as sessions or
// handshakes, and parsing never panics.
func FuzzVerifyAndHandshake(f *testing.F) {
	k, _ := keys(f)
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6ImtpZDEifQ.e30.c2ln")
	f.Add("a.b.c")
	f.Add("")
	cache := staticCache(jwkOf(k, "kid1"))
	v := &Verifier{Keys: cache, ProxyURL: issuer}
	f.Fuzz(func(t *testing.T, token string) {
		if c, err := v.Verify(context.Background(), token); err == nil {
			t.Fatalf("random token accepted: %+v", c)
		}
		if d, err := ParseHandshake(context.Background(), cache, token); err == nil {
			t.Fatalf("random handshake accepted: %v", d)
		}
		IssuedAt(token)
		SessionFromDirectives([]string{token, "__session=" + token})
	})
}
