package apptest

import (
	"context"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/go-jose/go-jose/v3"
	josejwt "github.com/go-jose/go-jose/v3/jwt"

	"example.com/saas/internal/clerkdev"
)

// Seeded users and organizations of the emulator (internal/clerkdev/seed.go).
const (
	Alice  = "user_2alice000000000000000000000" // admin of acme, member of globex
	Bob    = "user_2bob00000000000000000000000" // member of acme
	Carol  = "user_2carol000000000000000000000" // admin of globex
	Acme   = "org_2acme0000000000000000000000"
	Globex = "org_2globex00000000000000000000"
)

// ClientConfig returns clerk-sdk-go settings for the emulator's Backend API.
func (s *Stack) ClientConfig() *clerk.ClientConfig {
	return &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		Key: clerk.String(s.Emu.SecretKey()),
		URL: clerk.String(s.EmuURL + "/v1"),
	}}
}

// Session creates a Clerk session for userID with orgID active ("" for
// none) through the emulator's Backend API (active_organization_id is the
// emulator's extension), and returns its id and a session token valid for
// ten minutes.
func (s *Stack) Session(t testing.TB, userID, orgID string) (sessionID, token string) {
	t.Helper()
	ctx := context.Background()
	sessionID, err := s.emulator.NewSession(ctx, userID, orgID)
	if err != nil {
		t.Fatal(err)
	}
	token, err = s.emulator.SessionToken(ctx, sessionID, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return sessionID, token
}

// SignToken signs claims with the emulator's current key (kid
// ins_clerkdev_1), for tokens Clerk would never issue: expired, future,
// another issuer or azp. Claims not given default to a valid session token
// of alice.
func (s *Stack) SignToken(t testing.TB, claims map[string]any) string {
	t.Helper()
	now := time.Now().Unix()
	c := map[string]any{"iss": s.EmuURL, "sub": Alice, "sid": "sess_forged", "iat": now, "nbf": now - 10, "exp": now + 60, "v": 2}
	for k, v := range claims {
		c[k] = v
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: testKey(t)},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", clerkdev.InstanceID+"_1"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := josejwt.Signed(signer).Claims(c).CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
