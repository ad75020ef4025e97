package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sleepy is a server that answers 200 after sleeping, and records how many
// requests it held at once and when each arrived.
type sleepy struct {
	sleep    time.Duration
	status   int
	inFlight atomic.Int64
	peak     atomic.Int64
	mu       sync.Mutex
	arrivals []time.Time
}

func (s *sleepy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	s.mu.Lock()
	s.arrivals = append(s.arrivals, time.Now())
	s.mu.Unlock()
	select {
	case <-time.After(s.sleep):
	case <-r.Context().Done():
		return
	}
	if s.status != 0 {
		w.WriteHeader(s.status)
	}
	w.Write([]byte("ok"))
}

func serve(t *testing.T, s *sleepy) Target {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return Target{URL: srv.URL, Header: http.Header{"X-Bench": {"1"}}}
}

// A server slower than the gap between requests does not slow the sender:
// with room in the cap, requests leave on schedule, spread over the window.
func TestPacedKeepsTheRate(t *testing.T) {
	s := &sleepy{sleep: 20 * time.Millisecond}
	tgt := serve(t, s)
	start := time.Now()
	res, err := Paced(context.Background(), tgt, PacedOptions{Rate: 200, Duration: time.Second, MaxInFlight: 64})
	if err != nil {
		t.Fatal(err)
	}
	if res.Scheduled != 200 || res.Sent != 200 || res.Unsent != 0 {
		t.Fatalf("scheduled %d, sent %d, unsent %d; want 200, 200, 0", res.Scheduled, res.Sent, res.Unsent)
	}
	if res.Errors != 0 {
		t.Errorf("errors = %d", res.Errors)
	}
	// The last request is due at 995 ms; a loaded test machine may hold the
	// sender up a little, never by a whole closed-loop round trip per request.
	if res.LastSend < 900*time.Millisecond || res.LastSend > 1300*time.Millisecond {
		t.Errorf("last send at %s, want about 995 ms", res.LastSend)
	}
	if got := res.SendRate(); got < 190 || got > 210 {
		t.Errorf("send rate = %.0f/s, want 200", got)
	}
	// A closed loop of one would manage 50/s; four at once is the rate times
	// the service time. The sender needed a few, not the cap.
	if p := s.peak.Load(); p < 2 || p > 32 {
		t.Errorf("server saw %d requests at once, want about 4", p)
	}
	// Spread, not a burst: about half arrive in the first half.
	s.mu.Lock()
	firstHalf := 0
	for _, a := range s.arrivals {
		if a.Sub(start) < 500*time.Millisecond {
			firstHalf++
		}
	}
	s.mu.Unlock()
	if firstHalf < 70 || firstHalf > 130 {
		t.Errorf("%d of 200 arrived in the first half of the window, want about 100", firstHalf)
	}
	if res.P50 < 20*time.Millisecond || res.P50 > 200*time.Millisecond {
		t.Errorf("p50 = %s, want the server's 20 ms and a little", res.P50)
	}
	// Late here can only be the test machine starving the sender.
	if res.Late > 100 {
		t.Errorf("late = %d of 200 with the cap never reached", res.Late)
	}
}

// With the cap reached, requests wait for a slot: they are late, the cap
// holds at the server, and their latency counts the wait (from the
// scheduled time), not just the 50 ms the server takes.
func TestPacedCountsFromTheScheduleAndHoldsTheCap(t *testing.T) {
	s := &sleepy{sleep: 50 * time.Millisecond}
	tgt := serve(t, s)
	res, err := Paced(context.Background(), tgt, PacedOptions{Rate: 200, Duration: 500 * time.Millisecond, MaxInFlight: 4})
	if err != nil {
		t.Fatal(err)
	}
	if p := s.peak.Load(); p > 4 {
		t.Errorf("server saw %d requests at once, cap 4", p)
	}
	if res.PeakInFlight > 4 {
		t.Errorf("sender had %d requests in flight, cap 4", res.PeakInFlight)
	}
	if res.Sent != 100 || res.Errors != 0 {
		t.Fatalf("sent %d, errors %d; want 100, 0", res.Sent, res.Errors)
	}
	// 4 at a time x 50 ms is 80/s: the 100th request, due at 495 ms, leaves
	// at about 1.2 s and is answered at about 1.25 s.
	if res.Max < 600*time.Millisecond {
		t.Errorf("max latency = %s: counted from the actual send, not the schedule", res.Max)
	}
	if res.P50 < 100*time.Millisecond {
		t.Errorf("p50 = %s, want the queueing behind the cap counted", res.P50)
	}
	if res.Late < 50 {
		t.Errorf("late = %d of 100, want most", res.Late)
	}
	if res.SendDelayP99 < 500*time.Millisecond {
		t.Errorf("send delay p99 = %s, want the wait for a slot", res.SendDelayP99)
	}
}

// Requests still waiting for a slot when the run's time is up are not sent,
// and counted; answers cut off then are errors.
func TestPacedCountsUnsent(t *testing.T) {
	s := &sleepy{sleep: 100 * time.Millisecond}
	tgt := serve(t, s)
	res, err := Paced(context.Background(), tgt, PacedOptions{Rate: 100, Duration: 200 * time.Millisecond, MaxInFlight: 1, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Scheduled != 20 || res.Sent+res.Unsent != 20 {
		t.Fatalf("scheduled %d = sent %d + unsent %d?", res.Scheduled, res.Sent, res.Unsent)
	}
	// One at a time for 100 ms each, for 500 ms: about five sent.
	if res.Unsent < 10 {
		t.Errorf("unsent = %d, want most of 20", res.Unsent)
	}
	if res.Errors < 1 {
		t.Errorf("errors = %d, want the answer cut off at the end", res.Errors)
	}
}

func TestPacedCountsNon200AsErrors(t *testing.T) {
	s := &sleepy{status: http.StatusFound}
	tgt := serve(t, s)
	res, err := Paced(context.Background(), tgt, PacedOptions{Rate: 100, Duration: 100 * time.Millisecond, MaxInFlight: 8})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 10 || res.Errors != 10 {
		t.Errorf("sent %d, errors %d; want every redirect an error", res.Sent, res.Errors)
	}
}

func TestPacedRejectsBadOptions(t *testing.T) {
	for _, o := range []PacedOptions{
		{Rate: 0, Duration: time.Second, MaxInFlight: 1},
		{Rate: 1, Duration: 0, MaxInFlight: 1},
		{Rate: 1, Duration: time.Second, MaxInFlight: 0},
	} {
		if _, err := Paced(context.Background(), Target{URL: "http://127.0.0.1:1"}, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestPacedStopsWithTheContext(t *testing.T) {
	tgt := serve(t, &sleepy{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if _, err := Paced(ctx, tgt, PacedOptions{Rate: 10, Duration: 10 * time.Second, MaxInFlight: 1}); err == nil {
		t.Error("no error from a cancelled run")
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("took %s to stop", d)
	}
}

func TestPercentile(t *testing.T) {
	var v []time.Duration
	for i := 1; i <= 100; i++ {
		v = append(v, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := percentile(v, c.p); got != c.want {
			t.Errorf("p%v = %s, want %s", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 99); got != 0 {
		t.Errorf("p99 of nothing = %s", got)
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("p99 of one = %s", got)
	}
}
