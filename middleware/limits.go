package middleware

import (
	"context"
	"net/http"
	"time"
)

// LimitBody caps request bodies at n bytes; a handler reading more gets an
// error and should answer 413. Routes with larger needs wrap their own
// reader (the webhook handler allows 1 MiB).
func LimitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Timeout bounds the work of one request, database calls included (they
// all take the request's context), so a slow query cannot hold a pool
// connection forever.
func Timeout(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
