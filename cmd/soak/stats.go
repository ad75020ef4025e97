package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// histogram counts latencies in fixed log-scale buckets (16 per doubling,
// about 4% wide, from 1 µs to over a minute), so recording allocates
// nothing and the harness's memory does not grow with the run.
type histogram struct {
	buckets [27 * 16]atomic.Int64
	count   atomic.Int64
	errors  atomic.Int64
}

func bucketOf(d time.Duration) int {
	us := float64(d.Microseconds())
	if us < 1 {
		return 0
	}
	i := int(math.Log2(us) * 16)
	return min(i, 27*16-1)
}

func (h *histogram) add(d time.Duration) {
	h.buckets[bucketOf(d)].Add(1)
	h.count.Add(1)
}

// quantile returns the upper bound of the bucket holding quantile q.
func (h *histogram) quantile(q float64) time.Duration {
	n := h.count.Load()
	if n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(n)))
	var seen int64
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen >= rank {
			return time.Duration(math.Exp2(float64(i+1)/16)) * time.Microsecond
		}
	}
	return time.Duration(math.Exp2(27)) * time.Microsecond
}

func (h *histogram) merge(o *histogram) {
	for i := range h.buckets {
		h.buckets[i].Add(o.buckets[i].Load())
	}
	h.count.Add(o.count.Load())
	h.errors.Add(o.errors.Load())
}

// stats are the figures of one phase, by kind of request.
type stats struct {
	byKind map[string]*histogram // fixed keys: written concurrently, never resized
	mu     sync.Mutex
	first  []string // the first errors, for the report
}

func newStats() *stats {
	s := &stats{byKind: map[string]*histogram{}}
	for _, k := range kinds {
		s.byKind[k] = &histogram{}
	}
	return s
}

func (s *stats) record(kind string, d time.Duration, err error) {
	h := s.byKind[kind]
	h.add(d)
	if err == nil {
		return
	}
	h.errors.Add(1)
	s.mu.Lock()
	if len(s.first) < 10 {
		s.first = append(s.first, kind+": "+err.Error())
	}
	s.mu.Unlock()
}

func (s *stats) total() *histogram {
	t := &histogram{}
	for _, h := range s.byKind {
		t.merge(h)
	}
	return t
}

// print writes the table of requests, errors and latencies.
func (s *stats) print(w io.Writer, elapsed time.Duration) {
	fmt.Fprintf(w, "  %-18s %9s %7s %9s %9s\n", "kind", "requests", "errors", "p50", "p99")
	row := func(name string, h *histogram) {
		fmt.Fprintf(w, "  %-18s %9d %7d %9s %9s\n", name, h.count.Load(), h.errors.Load(), round(h.quantile(0.50)), round(h.quantile(0.99)))
	}
	for _, k := range kinds {
		row(k, s.byKind[k])
	}
	t := s.total()
	row("total", t)
	fmt.Fprintf(w, "  %.0f requests/s\n", float64(t.count.Load())/elapsed.Seconds())
	for _, e := range s.first {
		fmt.Fprintln(w, "  error:", e)
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= 100*time.Microsecond:
		return d.Round(10 * time.Microsecond)
	}
	return d
}

// snapshot is the process's resources with no load running.
type snapshot struct {
	goroutines int
	heapLive   uint64 // bytes marked live by the last GC, right after a forced one
	rss        int64
	dbConns    int
}

// takeSnapshot waits until the goroutine count settles (closed connections
// take a moment to unwind), forces a GC, and reads the runtime metrics.
func takeSnapshot(ctx context.Context, p *product) (snapshot, error) {
	last, same := -1, 0
	for deadline := time.Now().Add(10 * time.Second); same < 5 && time.Now().Before(deadline); {
		n := runtime.NumGoroutine()
		if n == last {
			same++
		} else {
			last, same = n, 0
		}
		time.Sleep(100 * time.Millisecond)
	}
	runtime.GC()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/sched/goroutines:goroutines"}}
	metrics.Read(sample)
	snap := snapshot{heapLive: sample[0].Value.Uint64(), goroutines: int(sample[1].Value.Uint64()), rss: rssBytes()}
	var err error
	snap.dbConns, err = p.dbConnections(ctx)
	return snap, err
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

func growth(start, end float64) float64 {
	if start == 0 {
		return 0
	}
	return end/start - 1
}

// rssBytes is the process's resident set size (Linux; 0 elsewhere).
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
