package middleware

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// busyAnswer stands in for the application's 503 page.
var busyAnswer = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusServiceUnavailable)
})

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func serveGate(ctx context.Context, h http.Handler, path string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil))
	return rec.Code
}

func TestInFlightServesInArrivalOrder(t *testing.T) {
	gate := NewInFlight(1, 0)
	release := make(chan struct{})
	var mu sync.Mutex
	var order []int
	h := gate.Limit(busyAnswer)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		mu.Lock()
		order = append(order, n)
		mu.Unlock()
		if n == 0 {
			<-release
		}
	}))

	var wg sync.WaitGroup
	codes := make([]int, 6)
	start := func(n int) {
		wg.Go(func() { codes[n] = serveGate(context.Background(), h, "/?n="+strconv.Itoa(n)) })
	}
	start(0)
	waitFor(t, "the first request to hold the slot", func() bool { return gate.Running() == 1 })
	// Start each request only once the previous one is queued, so arrival
	// order is known.
	for n := 1; n <= 5; n++ {
		start(n)
		waitFor(t, "request "+strconv.Itoa(n)+" to queue", func() bool { return gate.Waiting() == n })
	}
	close(release)
	wg.Wait()

	for i, n := range order {
		if n != i {
			t.Fatalf("handler ran requests in order %v, want 0…5", order)
		}
	}
	for n, code := range codes {
		if code != http.StatusOK {
			t.Errorf("request %d = %d, want 200", n, code)
		}
	}
}

func TestInFlightNeverRunsMoreThanLimit(t *testing.T) {
	const limit, requests = 3, 50
	gate := NewInFlight(limit, 0)
	proceed := make(chan struct{})
	var running, most atomic.Int32
	h := gate.Limit(busyAnswer)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := running.Add(1)
		defer running.Add(-1)
		for {
			seen := most.Load()
			if now <= seen || most.CompareAndSwap(seen, now) {
				break
			}
		}
		<-proceed
	}))

	var wg sync.WaitGroup
	var refused atomic.Int32
	for range requests {
		wg.Go(func() {
			if serveGate(context.Background(), h, "/") != http.StatusOK {
				refused.Add(1)
			}
		})
	}
	waitFor(t, "the gate to fill and the rest to queue", func() bool {
		return gate.Running() == limit && gate.Waiting() == requests-limit
	})
	close(proceed)
	wg.Wait()

	if got := most.Load(); got != limit {
		t.Errorf("at most %d handlers ran at once, want %d", got, limit)
	}
	if refused.Load() != 0 {
		t.Errorf("%d requests refused; with no max wait all should run", refused.Load())
	}
	if gate.Running() != 0 || gate.Waiting() != 0 {
		t.Errorf("after all returned: running %d, waiting %d; want 0, 0", gate.Running(), gate.Waiting())
	}
}

func TestInFlightWaitEndsWithoutSlot(t *testing.T) {
	tests := []struct {
		name    string
		maxWait time.Duration
		// ctx is the queued request's context.
		ctx func() (context.Context, context.CancelFunc)
		// cancelQueued cancels it once the request is queued.
		cancelQueued bool
	}{
		{"max wait elapsed", 10 * time.Millisecond, func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, false},
		{"request deadline passed", 0, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 10*time.Millisecond)
		}, false},
		{"client went away", 0, func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gate := NewInFlight(1, tt.maxWait)
			release := make(chan struct{})
			var ran atomic.Int32
			h := gate.Limit(busyAnswer)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ran.Add(1)
				<-release
			}))
			var holder sync.WaitGroup
			holder.Go(func() { serveGate(context.Background(), h, "/") })
			defer holder.Wait()
			defer close(release)
			waitFor(t, "the slot to be held", func() bool { return gate.Running() == 1 })

			ctx, cancel := tt.ctx()
			defer cancel()
			done := make(chan int)
			go func() { done <- serveGate(ctx, h, "/") }()
			if tt.cancelQueued {
				waitFor(t, "the request to queue", func() bool { return gate.Waiting() == 1 })
				cancel()
			}
			if code := <-done; code != http.StatusServiceUnavailable {
				t.Errorf("queued request = %d, want the busy answer (503)", code)
			}
			if ran.Load() != 1 {
				t.Errorf("handler ran %d times, want once (only the slot holder)", ran.Load())
			}
			if gate.Waiting() != 0 {
				t.Errorf("Waiting() = %d after the wait ended, want 0", gate.Waiting())
			}
		})
	}
}

func TestInFlightPanicReleasesSlot(t *testing.T) {
	gate := NewInFlight(1, 100*time.Millisecond)
	h := gate.Limit(busyAnswer)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			panic("handler failed")
		}
	}))
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller (Recover)")
			}
		}()
		serveGate(context.Background(), h, "/boom")
	}()
	if gate.Running() != 0 {
		t.Fatalf("Running() = %d after the panic, want 0", gate.Running())
	}
	if code := serveGate(context.Background(), h, "/"); code != http.StatusOK {
		t.Errorf("request after the panic = %d, want 200 (slot freed)", code)
	}
}

// passThrough is comparable, so the test can check Limit returned it as is.
type passThrough struct{ calls atomic.Int32 }

func (p *passThrough) ServeHTTP(http.ResponseWriter, *http.Request) { p.calls.Add(1) }

func TestInFlightNoLimitPassesThrough(t *testing.T) {
	for _, limit := range []int{0, -1} {
		next := &passThrough{}
		h := NewInFlight(limit, time.Millisecond).Limit(busyAnswer)(next)
		if h != http.Handler(next) {
			t.Errorf("limit %d wrapped the handler; want it unchanged", limit)
		}
		if code := serveGate(context.Background(), h, "/"); code != http.StatusOK || next.calls.Load() != 1 {
			t.Errorf("limit %d: status %d, calls %d", limit, code, next.calls.Load())
		}
	}
}
