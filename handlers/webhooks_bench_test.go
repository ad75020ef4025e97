package handlers_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkWebhookIngest measures sustained ingestion with 16 concurrent
// deliveries, half of them redeliveries of an earlier message (Svix retries):
// each message id is delivered twice and must be applied once.
func BenchmarkWebhookIngest(b *testing.B) {
	const workers = 16
	k := newHook(b)
	tpl := fixture(b, "user.updated.json")
	reqs := make([]*http.Request, b.N)
	bodies := make([][]byte, b.N)
	for i := range b.N {
		msg := i / 2 // every id twice: 50% duplicates
		bodies[i] = edit(b, tpl, nil, map[string]any{"id": fmt.Sprintf("user_bench_%d", msg%5000), "updated_at": 1716883500000 + msg})
		reqs[i] = k.signed(fmt.Sprintf("msg_bench_%d", msg), time.Now(), bodies[i])
	}
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				r := reqs[i]
				r.Body = io.NopCloser(bytes.NewReader(bodies[i]))
				w := httptest.NewRecorder()
				k.h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d deliveries failed", n)
	}
	var events int
	k.db.Raw("SELECT count(*) FROM webhook_events").Scan(&events)
	if want := (b.N + 1) / 2; events != want {
		b.Fatalf("recorded %d events, want %d (duplicates counted once)", events, want)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}
