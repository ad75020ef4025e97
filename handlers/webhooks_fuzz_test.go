package handlers_test

import (
	"fmt"
	"maps"
	"sync/atomic"
	"testing"
	"time"
)

// FuzzWebhookSignedBodies delivers correctly signed random bodies: the
// handler never fails with 5xx or panics on what Clerk might send, and a
// refused delivery writes nothing.
func FuzzWebhookSignedBodies(f *testing.F) {
	k := newHook(f)
	for _, name := range []string{"user.created", "organizationMembership.created", "session.revoked", "user.deleted"} {
		f.Add(fixture(f, name+".json"))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"type":"user.created","data":{}}`))
	f.Add([]byte(`{"type":"organizationMembership.created","data":{"id":"orgmem_1","organization":{},"public_user_data":{}}}`))
	f.Add([]byte(`{"type":"user.updated","data":{"id":"user_1","updated_at":-1,"email_addresses":[{"id":1}]}}`))
	f.Add([]byte("\x00\xff"))
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, body []byte) {
		k.t = t // the hook reports failures to this input's test
		before := k.counts()
		w := k.serve(k.signed(fmt.Sprintf("msg_fuzz_%d", n.Add(1)), time.Now(), body))
		if w.Code >= 500 {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
		if w.Code >= 400 {
			after := k.counts()
			delete(after, "webhook_events")
			delete(before, "webhook_events")
			if !maps.Equal(before, after) {
				t.Fatalf("refused delivery (%d) wrote rows: %v → %v", w.Code, before, after)
			}
		}
	})
}
