package main

import (
	"context"
	"sync/atomic"
	"time"

	"example.com/saas/internal/stack"
)

// A session token lives tokenTTL and is refreshed every refreshEvery, as
// Clerk's front-end SDKs refresh theirs well before they expire.
const (
	tokenTTL     = 2 * time.Minute
	refreshEvery = 30 * time.Second
)

// tenantSession is a user signed in with an organization active. Its
// token is refreshed as Clerk's front-end SDKs do, so a run of any length
// stays signed in.
type tenantSession struct {
	slug      string
	sessionID string
	signedIn  int64 // unix seconds, for __client_uat
	token     atomic.Pointer[string]
}

// newTenantSession creates the session and its first token.
func newTenantSession(ctx context.Context, emu *stack.Emulator, userID, orgID, slug string) (*tenantSession, error) {
	id, err := emu.NewSession(ctx, userID, orgID)
	if err != nil {
		return nil, err
	}
	ts := &tenantSession{slug: slug, sessionID: id, signedIn: time.Now().Unix() - 1}
	return ts, ts.refresh(ctx, emu)
}

// refresh fetches a new token.
func (ts *tenantSession) refresh(ctx context.Context, emu *stack.Emulator) error {
	tok, err := emu.SessionToken(ctx, ts.sessionID, tokenTTL)
	if err != nil {
		return err
	}
	ts.token.Store(&tok)
	return nil
}

// keepFresh refreshes the token every refreshEvery until ctx ends,
// counting the refreshes that fail.
func (ts *tenantSession) keepFresh(ctx context.Context, emu *stack.Emulator, failures *atomic.Int64) {
	for sleep(ctx, refreshEvery) {
		if err := ts.refresh(ctx, emu); err != nil && ctx.Err() == nil {
			failures.Add(1)
		}
	}
}

// Token returns the current session token.
func (ts *tenantSession) Token() string { return *ts.token.Load() }

// sleep waits for d, or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
