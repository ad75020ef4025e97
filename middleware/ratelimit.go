package middleware

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"example.com/saas/models"
)

// RateLimiter keeps a token bucket per key in this process. With several
// instances each enforces its own share; to enforce one limit across
// instances, put the buckets in a shared store (for example Redis with a
// GCRA script, or Postgres) behind the same Allow method.
type RateLimiter struct {
	limit rate.Limit
	burst int
	// idle evicts buckets unused for this long, bounding memory.
	idle time.Duration
	now  func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewRateLimiter allows perSecond requests per key on average, with bursts
// up to burst.
func NewRateLimiter(perSecond float64, burst int) *RateLimiter {
	return &RateLimiter{limit: rate.Limit(perSecond), burst: burst, idle: 10 * time.Minute, now: time.Now, buckets: map[string]*bucket{}}
}

// Allow takes one token from key's bucket.
func (l *RateLimiter) Allow(key string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.idle {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > l.idle {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// retryAfter is how long a refused client should wait, in whole seconds.
func (l *RateLimiter) retryAfter() string {
	s := int(1/float64(l.limit)) + 1
	return strconv.Itoa(s)
}

// Limit answers 429 when the request's key is over its limit. keyOf picks
// the key (see ByUser, ByIP); it runs after Auth so ByUser can see the user.
func (l *RateLimiter) Limit(keyOf func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if l.Allow(keyOf(r)) {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Retry-After", l.retryAfter())
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"code":"rate_limited","message":"Too many requests; slow down and retry later."}}`))
		})
	}
}

// ByUser keys API requests by the signed-in user, falling back to the client
// address for anonymous ones.
func ByUser(r *http.Request) string {
	if id, ok := models.IdentityFrom(r.Context()); ok {
		return "user:" + id.UserID
	}
	return ByIP(r)
}

// ByIP keys by the TCP peer address. Behind a proxy every request shares
// the proxy's address; the limit then protects the instance as a whole.
func ByIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return "ip:" + r.RemoteAddr
	}
	return "ip:" + host
}
