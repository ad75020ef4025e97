package testenv

import (
	"testing"
	"time"
)

// Eventually polls ok every few milliseconds until it holds, and fails the
// test when it has not within 10 s. For what arrives asynchronously:
// webhooks, NOTIFY, a goroutine reaching a state.
func Eventually(t testing.TB, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
	}
}
