package clerkauth

import (
	"context"
	"testing"
	"time"

	josejwt "github.com/go-jose/go-jose/v3/jwt"
)

// BenchmarkVerify measures networkless session-token verification with the
// JWKS cached: "uncached" is the first request with a token (RSA, JSON),
// "cached" every later one within the token's life; "parse_only" and
// "issued_at" are the parts that read a token without verifying it.
func BenchmarkVerify(b *testing.B) {
	k, _ := keys(b)
	now := time.Now()
	tok := sign(b, k, "kid1", claimsAt(now, map[string]any{
		"exp": now.Add(time.Hour).Unix(),
		"fea": "o:projects",
		"o":   map[string]any{"id": "org_1", "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "3"},
	}))
	v := &Verifier{Keys: staticCache(jwkOf(k, "kid1")), ProxyURL: issuer, AuthorizedParties: []string{"http://localhost:8080"}}
	ctx := context.Background()
	if c, err := v.Verify(ctx, tok); err != nil || c.ActiveOrganizationID != "org_1" {
		b.Fatalf("Verify = %+v, %v; want org_1", c, err)
	}

	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fresh := &Verifier{Keys: v.Keys, ProxyURL: v.ProxyURL, AuthorizedParties: v.AuthorizedParties}
			if _, err := fresh.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("issued_at", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := IssuedAt(tok); !ok {
				b.Fatal("no iat")
			}
		}
	})
	b.Run("parse_only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := josejwt.ParseSigned(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached_parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
