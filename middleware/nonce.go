package middleware

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"example.com/saas/clerkauth"
)

// nonceLimitReport is how often rate-limited nonce redemptions are reported
// at warn level (each one is logged at debug).
const nonceLimitReport = time.Minute

// nonceState is Auth's own state for handshake nonces.
type nonceState struct {
	once sync.Once
	mu   sync.Mutex
	// lastReport is when rate-limited redemptions were last reported, and
	// reported how many had been limited then.
	lastReport time.Time
	reported   uint64
}

// nonces returns a.Nonces, made on first use when not set.
func (a *Auth) nonces() *clerkauth.NonceRedeemer {
	a.nonce.once.Do(func() {
		if a.Nonces != nil {
			return
		}
		n := clerkauth.NewNonceRedeemer(func(ctx context.Context, nonce string) ([]string, error) {
			return clerkauth.RedeemNonce(ctx, a.httpClient(), a.APIURL, a.SecretKey, nonce)
		})
		n.Now = a.now
		a.Nonces = n
	})
	return a.Nonces
}

// redeemNonce trades the request's handshake nonce for its directives and
// logs a failure: Clerk's answer at warn, as any refused credential; a nonce
// the redeemer would not send to Clerk at debug, with a warn summary of the
// rate-limited ones at most once per nonceLimitReport. The nonce itself is
// logged only as a fingerprint.
func (a *Auth) redeemNonce(r *http.Request, nonce string) ([]string, error) {
	n := a.nonces()
	directives, err := n.Redeem(r.Context(), nonce)
	switch {
	case err == nil:
	case errors.Is(err, clerkauth.ErrNonceRateLimited), errors.Is(err, clerkauth.ErrNonceRepeated), errors.Is(err, clerkauth.ErrNonceMalformed):
		a.Log.DebugContext(r.Context(), "handshake nonce not redeemed",
			slog.String("reason", err.Error()), slog.String("nonce", clerkauth.NonceFingerprint(nonce)))
		if errors.Is(err, clerkauth.ErrNonceRateLimited) {
			a.reportLimitedNonces(r.Context(), n)
		}
	default:
		a.refused(r, "handshake", err)
	}
	return directives, err
}

func (a *Auth) reportLimitedNonces(ctx context.Context, n *clerkauth.NonceRedeemer) {
	calls, limited := n.Stats()
	s := &a.nonce
	s.mu.Lock()
	now := a.now()
	if !s.lastReport.IsZero() && now.Sub(s.lastReport) < nonceLimitReport {
		s.mu.Unlock()
		return
	}
	since := limited - s.reported
	s.lastReport, s.reported = now, limited
	s.mu.Unlock()
	a.Log.WarnContext(ctx, "handshake nonce redemptions rate-limited",
		slog.Uint64("limited", since), slog.Uint64("limited_total", limited), slog.Uint64("calls_total", calls))
}
