package clerkauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeNonces is a Backend API that knows the nonces in good and counts calls.
type fakeNonces struct {
	calls atomic.Int64
	good  map[string][]string
}

func (f *fakeNonces) redeem(_ context.Context, nonce string) ([]string, error) {
	f.calls.Add(1)
	if d, ok := f.good[nonce]; ok {
		return d, nil
	}
	return nil, errors.New("redeem handshake nonce: status 404")
}

func newTestRedeemer(f *fakeNonces, now *time.Time) *NonceRedeemer {
	n := NewNonceRedeemer(f.redeem)
	n.Now = func() time.Time { return *now }
	return n
}

// TestNonceRedeemerRateLimit: distinct nonces reach Clerk at most Burst at
// once and Rate per second after; the rest fail without a call.
func TestNonceRedeemerRateLimit(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	f := &fakeNonces{}
	n := newTestRedeemer(f, &now)
	limited := 0
	for i := range 200 {
		_, err := n.Redeem(context.Background(), "forged"+strconv.Itoa(i))
		if errors.Is(err, ErrNonceRateLimited) {
			limited++
		} else if err == nil {
			t.Fatal("a forged nonce redeemed")
		}
	}
	if got := f.calls.Load(); got != DefaultNonceBurst || limited != 200-DefaultNonceBurst {
		t.Fatalf("calls = %d, limited = %d; want %d and %d", got, limited, DefaultNonceBurst, 200-DefaultNonceBurst)
	}
	if calls, lim := n.Stats(); calls != DefaultNonceBurst || lim != uint64(limited) {
		t.Errorf("Stats = %d, %d", calls, lim)
	}
	// Ten seconds later the bucket is full again, but no fuller.
	now = now.Add(10 * time.Second)
	for i := range 50 {
		n.Redeem(context.Background(), "later"+strconv.Itoa(i))
	}
	if got := f.calls.Load(); got != 2*DefaultNonceBurst {
		t.Errorf("calls after 10 s = %d, want %d", got, 2*DefaultNonceBurst)
	}
	// A limited nonce was never tried, so it may be redeemed later.
	f.good = map[string][]string{"forged199": {"__session=x"}}
	now = now.Add(time.Second)
	if d, err := n.Redeem(context.Background(), "forged199"); err != nil || len(d) != 1 {
		t.Errorf("a nonce limited earlier = %v, %v; want its directives", d, err)
	}
}

// TestNonceRedeemerSingleUse: one call per nonce within Remember, whether
// it succeeded or failed; concurrent callers share it.
func TestNonceRedeemerSingleUse(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	release := make(chan struct{})
	var calls atomic.Int64
	n := NewNonceRedeemer(func(ctx context.Context, nonce string) ([]string, error) {
		calls.Add(1)
		<-release
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return []string{"__session=tok"}, nil
	})
	var mu sync.Mutex
	n.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }

	// The first caller gives up at once; the call is not cancelled with it.
	first, cancel := context.WithCancel(context.Background())
	results := make(chan error, 16)
	go func() { _, err := n.Redeem(first, "n1"); results <- err }()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	for range 15 {
		go func() {
			d, err := n.Redeem(context.Background(), "n1")
			if err == nil && len(d) != 1 {
				err = errors.New("no directives")
			}
			results <- err
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	for range 16 {
		// A caller that arrived after the call ended (only on a very slow
		// machine) finds the nonce spent; none may fail otherwise.
		if err := <-results; err != nil && !errors.Is(err, ErrNonceRepeated) {
			t.Errorf("a caller sharing the call got %v", err)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("calls = %d, want 1", got)
	}
	if _, err := n.Redeem(context.Background(), "n1"); !errors.Is(err, ErrNonceRepeated) || calls.Load() != 1 {
		t.Errorf("a spent nonce again = %v after %d calls; want ErrNonceRepeated and no call", err, calls.Load())
	}
	mu.Lock()
	now = now.Add(DefaultNonceRemember + time.Second)
	mu.Unlock()
	n.Redeem(context.Background(), "n1")
	if got := calls.Load(); got != 2 {
		t.Errorf("after Remember calls = %d, want 2", got)
	}
}

func TestNonceRedeemerRefusesMalformed(t *testing.T) {
	t.Parallel()
	now := time.Now()
	f := &fakeNonces{}
	n := newTestRedeemer(f, &now)
	for _, bad := range []string{"", strings.Repeat("n", MaxNonceLength+1)} {
		if _, err := n.Redeem(context.Background(), bad); !errors.Is(err, ErrNonceMalformed) {
			t.Errorf("Redeem(%d bytes) = %v, want ErrNonceMalformed", len(bad), err)
		}
	}
	if f.calls.Load() != 0 {
		t.Error("a malformed nonce reached Clerk")
	}
}

// TestNonceRedeemerMemoryBounded: however many nonces are tried, at most
// MaxTracked are remembered.
func TestNonceRedeemerMemoryBounded(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	f := &fakeNonces{}
	n := newTestRedeemer(f, &now)
	n.Rate, n.Burst, n.MaxTracked = 1e9, 1e6, 100
	for i := range 1000 {
		n.Redeem(context.Background(), "n"+strconv.Itoa(i))
	}
	n.mu.Lock()
	size := len(n.tried)
	n.mu.Unlock()
	if size > 100 {
		t.Errorf("remembered %d nonces, want at most 100", size)
	}
}

// TestRedeemNonceRequest: the Backend API call itself.
func TestRedeemNonceRequest(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/clients/handshake_payload" || r.URL.Query().Get("nonce") != "a b" || r.Header.Get("Authorization") != "Bearer sk_test_1" {
			http.Error(w, "{}", http.StatusNotFound)
			return
		}
		w.Write([]byte(`{"directives":["__session=t; Path=/"]}`))
	}))
	defer srv.Close()
	d, err := RedeemNonce(context.Background(), srv.Client(), srv.URL+"/v1/", "sk_test_1", "a b")
	if err != nil || len(d) != 1 || d[0] != "__session=t; Path=/" {
		t.Fatalf("RedeemNonce = %v, %v", d, err)
	}
	if _, err := RedeemNonce(context.Background(), srv.Client(), srv.URL+"/v1", "sk_test_1", "other"); err == nil || strings.Contains(err.Error(), "other") {
		t.Errorf("unknown nonce: err = %v, want a status error without the nonce", err)
	}
}
