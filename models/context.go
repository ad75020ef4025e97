package models

import "context"

type ctxKey int

const (
	identityKey ctxKey = iota
	tenantKey
	requestIDKey
)

// Identity is the verified Clerk identity of a request, set by the auth
// middleware. Handlers never parse tokens; they read this.
type Identity struct {
	UserID    string
	SessionID string
	// Active organization from the session token, when it has one (API
	// clients). Only which organization: the role and permissions come from
	// the synced membership (Tenant), never from the token's claims.
	OrgID   string
	OrgSlug string
	// Source says how the identity was proven: "bearer", "cookie" or "app_session".
	Source string
}

// WithIdentity returns a context carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey, id)
}

// IdentityFrom returns the request's identity, if signed in.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey).(Identity)
	return id, ok && id.UserID != ""
}

// WithRequestID returns a context carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestIDFrom returns the request id, if any.
func RequestIDFrom(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(requestIDKey).(string)
	return id, ok
}
