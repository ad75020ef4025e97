// Package models holds the GORM models, their queries, the tenant scope and
// the typed context getters shared by middleware, handlers and views. It
// knows nothing of HTTP.
package models

import "errors"

// Errors the handlers map to responses (see handlers.renderError).
var (
	// ErrNotFound: the row does not exist or belongs to another tenant.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the user may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrNoTenant: a tenant-owned model was queried without an organization
	// in the context. It is a programming error and fails closed.
	ErrNoTenant = errors.New("tenant-owned query without an organization in its context")
)
