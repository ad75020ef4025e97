package clerkauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

// RedeemNonce trades a handshake nonce for its directives at the Backend API
// (GET /v1/clients/handshake_payload). clerk-sdk-go has no call for it, so
// it is a plain request with the secret key; it happens only on the return
// from a handshake, never on the hot path. The nonce comes from the request:
// call it through a NonceRedeemer.
func RedeemNonce(ctx context.Context, client *http.Client, apiURL, secretKey, nonce string) ([]string, error) {
	u := strings.TrimRight(apiURL, "/") + "/clients/handshake_payload?nonce=" + url.QueryEscape(nonce)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+secretKey)
	req.Header.Set("Clerk-API-Version", APIVersion)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("redeem handshake nonce: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, fmt.Errorf("redeem handshake nonce: status %d", resp.StatusCode)
	}
	var body struct {
		Directives []string `json:"directives"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("redeem handshake nonce: %w", err)
	}
	return body.Directives, nil
}

// Errors of NonceRedeemer.Redeem when it does not ask Clerk.
var (
	// ErrNonceRateLimited: the global redemption rate is spent.
	ErrNonceRateLimited = errors.New("handshake nonce not redeemed: rate limit reached")
	// ErrNonceRepeated: the nonce was already sent to Clerk recently (a
	// nonce is single use, so a second try cannot succeed).
	ErrNonceRepeated = errors.New("handshake nonce not redeemed: already tried")
	// ErrNonceMalformed: the value cannot be a nonce Clerk issued.
	ErrNonceMalformed = errors.New("handshake nonce not redeemed: malformed")
)

// Defaults of NewNonceRedeemer. A browser redeems one nonce per handshake,
// which a signed-in user goes through about once per app session (minutes),
// so 2 per second with bursts of 5 serves some 100 handshakes a minute per
// app instance while a flood of forged nonces costs at most 20 Backend API
// calls per 10 s: a fifth of a development instance's quota (100 per 10 s)
// and 2% of a production instance's (1000 per 10 s).
const (
	DefaultNonceRate     = 2
	DefaultNonceBurst    = 5
	DefaultNonceRemember = time.Minute
	// DefaultNonceTracked bounds the nonces remembered; at the default rate
	// no more than about 125 are tried within DefaultNonceRemember.
	DefaultNonceTracked = 4096
	// MaxNonceLength is far above the length of Clerk's nonces; longer
	// values are refused without a call.
	MaxNonceLength = 512
)

// NonceFunc trades a nonce for its directives (RedeemNonce with the app's
// client and secret key).
type NonceFunc func(ctx context.Context, nonce string) ([]string, error)

// NonceRedeemer guards RedeemNonce, whose nonce comes from the request, so
// that anyone cannot make the app spend its Backend API quota (the way
// JWKSCache spaces refreshes for unknown kids): concurrent requests with one
// nonce share one call, a nonce already tried is refused without a call for
// Remember, and calls for all nonces together are limited to Rate per second
// with bursts of Burst. The exported fields are read on first use.
type NonceRedeemer struct {
	redeem   NonceFunc
	Rate     rate.Limit
	Burst    int
	Remember time.Duration
	// MaxTracked bounds the nonces remembered.
	MaxTracked int
	Now        func() time.Time

	once    sync.Once
	limiter *rate.Limiter
	group   singleflight.Group
	mu      sync.Mutex
	tried   map[[sha256.Size]byte]time.Time // until when a nonce is refused
	calls   atomic.Uint64
	limited atomic.Uint64
}

// NewNonceRedeemer returns a redeemer with the default limits.
func NewNonceRedeemer(redeem NonceFunc) *NonceRedeemer {
	return &NonceRedeemer{
		redeem:     redeem,
		Rate:       DefaultNonceRate,
		Burst:      DefaultNonceBurst,
		Remember:   DefaultNonceRemember,
		MaxTracked: DefaultNonceTracked,
		Now:        time.Now,
	}
}

// Redeem returns the nonce's directives, or an error: Clerk's, or one of
// the ErrNonce errors when Clerk was not asked.
func (n *NonceRedeemer) Redeem(ctx context.Context, nonce string) ([]string, error) {
	n.once.Do(n.init)
	if nonce == "" || len(nonce) > MaxNonceLength {
		return nil, ErrNonceMalformed
	}
	key := sha256.Sum256([]byte(nonce))
	if n.recentlyTried(key) {
		return nil, ErrNonceRepeated
	}
	v, err, _ := n.group.Do(string(key[:]), func() (any, error) {
		// Checked again: a call for this nonce may have just finished.
		if n.recentlyTried(key) {
			return nil, ErrNonceRepeated
		}
		if !n.limiter.AllowN(n.Now(), 1) {
			n.limited.Add(1)
			return nil, ErrNonceRateLimited
		}
		n.calls.Add(1)
		// Detached from the request, as every request waiting for this
		// nonce shares the call.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		directives, err := n.redeem(fctx, nonce)
		n.remember(key) // single use: success or failure, it is spent
		return directives, err
	})
	directives, _ := v.([]string)
	return directives, err
}

// Stats reports the calls made to Clerk and the redemptions refused by the
// rate limit since the redeemer was created.
func (n *NonceRedeemer) Stats() (calls, limited uint64) {
	return n.calls.Load(), n.limited.Load()
}

func (n *NonceRedeemer) init() {
	if n.Now == nil {
		n.Now = time.Now
	}
	if n.MaxTracked <= 0 {
		n.MaxTracked = DefaultNonceTracked
	}
	n.limiter = rate.NewLimiter(n.Rate, n.Burst)
	n.tried = map[[sha256.Size]byte]time.Time{}
}

func (n *NonceRedeemer) recentlyTried(key [sha256.Size]byte) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	until, ok := n.tried[key]
	return ok && n.Now().Before(until)
}

func (n *NonceRedeemer) remember(key [sha256.Size]byte) {
	now := n.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.tried) >= n.MaxTracked {
		for k, until := range n.tried {
			if !now.Before(until) {
				delete(n.tried, k)
			}
		}
	}
	// Still full (only with limits far above the defaults): forget some, as
	// the rate limit still bounds the calls.
	for k := range n.tried {
		if len(n.tried) < n.MaxTracked {
			break
		}
		delete(n.tried, k)
	}
	n.tried[key] = now.Add(n.Remember)
}

// NonceFingerprint names a nonce in logs without revealing it.
func NonceFingerprint(nonce string) string {
	sum := sha256.Sum256([]byte(nonce))
	return hex.EncodeToString(sum[:4])
}
