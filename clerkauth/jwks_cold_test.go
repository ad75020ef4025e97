package clerkauth

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
)

// TestJWKSCacheColdCallersWaitForTheFetch: requests that arrive while the
// first JWKS fetch is in flight (just after start, or after a rotation)
// wait for it and get the key, instead of failing with an unknown kid.
func TestJWKSCacheColdCallersWaitForTheFetch(t *testing.T) {
	t.Parallel()
	k, _ := keys(t)
	release := make(chan struct{})
	var fetches atomic.Int32
	c := NewJWKSCache(func(context.Context) (*clerk.JSONWebKeySet, error) {
		fetches.Add(1)
		<-release
		return &clerk.JSONWebKeySet{Keys: []*clerk.JSONWebKey{jwkOf(k, "kid1")}}, nil
	})
	errs := make(chan error, 16)
	get := func() { _, err := c.Key(context.Background(), "kid1"); errs <- err }
	go get()
	for fetches.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for range 15 {
		go get()
	}
	// Give them time to reach the cache while the fetch is held. This only
	// makes the test sensitive: with the fix, they wait whatever the timing.
	time.Sleep(50 * time.Millisecond)
	close(release)
	for range 16 {
		if err := <-errs; err != nil {
			t.Errorf("a request during the first fetch failed: %v", err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}
}
