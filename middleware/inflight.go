package middleware

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"
)

// InFlight bounds how many requests run at once and makes the rest wait
// their turn in arrival order.
//
// Why the order matters: database/sql hands a freed connection to a random
// waiter (connRequestSet.TakeRandom), and a page takes a connection several
// times in turn, so under load some requests lose the draw again and again
// and p99 latency grows to several times the median. Admitting whole
// requests first come, first served, about as many at once as the pool has
// connections, keeps that draw short; ordering at the request level fixes
// the tail whatever makes the queue behind it unfair.
//
// The gate is a buffered channel of limit slots: goroutines blocked sending
// on a channel are woken in the order they blocked, so it is a FIFO
// semaphore.
type InFlight struct {
	slots   chan struct{} // nil: no gate
	maxWait time.Duration
	waiting atomic.Int64
	running atomic.Int64
}

// NewInFlight lets limit requests run at once; the others wait in arrival
// order for up to maxWait, and never past their context. limit <= 0 means no
// gate; maxWait <= 0 waits as long as the context allows.
func NewInFlight(limit int, maxWait time.Duration) *InFlight {
	f := &InFlight{maxWait: maxWait}
	if limit > 0 {
		f.slots = make(chan struct{}, limit)
	}
	return f
}

// Limit wraps handlers in the gate. A request whose wait ends without a
// slot (maxWait elapsed, or the client left) is answered by busy, and the
// wrapped handler never runs. The slot is freed when the handler returns,
// panics included. Handlers wrapped by one InFlight share its slots.
func (f *InFlight) Limit(busy http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if f.slots == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !f.acquire(r.Context()) {
				busy.ServeHTTP(w, r)
				return
			}
			defer f.release()
			next.ServeHTTP(w, r)
		})
	}
}

// Waiting is how many requests are queued for a slot now.
func (f *InFlight) Waiting() int { return int(f.waiting.Load()) }

// Running is how many requests hold a slot now.
func (f *InFlight) Running() int { return int(f.running.Load()) }

// acquire takes a slot, waiting in line when none is free; it reports
// false when the wait ended first.
func (f *InFlight) acquire(ctx context.Context) bool {
	// A free slot means nobody is queued (waiters are handed freed slots
	// directly), so taking it at once jumps no one and skips the timer.
	select {
	case f.slots <- struct{}{}:
		f.running.Add(1)
		return true
	default:
	}
	f.waiting.Add(1)
	defer f.waiting.Add(-1)
	var timeout <-chan time.Time // nil: no time limit of our own
	if f.maxWait > 0 {
		t := time.NewTimer(f.maxWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case f.slots <- struct{}{}:
		f.running.Add(1)
		return true
	case <-ctx.Done():
		return false
	case <-timeout:
		return false
	}
}

func (f *InFlight) release() {
	f.running.Add(-1)
	<-f.slots
}
