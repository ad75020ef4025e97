// Package middleware holds the HTTP middleware: request ids, logging,
// recovery, security headers, authentication and tenancy. Each one is a
// func(http.Handler) http.Handler; its doc comment says what must run before it.
package middleware

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"example.com/saas/models"
)

// RequestID gives each request an id (kept from a well-formed X-Request-Id
// set by a trusted proxy, else random), echoes it in the response and puts
// it in the context for logs. It runs first.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(models.WithRequestID(r.Context(), id)))
	})
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
