package load

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// PacedOptions shape an open-loop run.
type PacedOptions struct {
	// Rate is the offered load in requests per second.
	Rate float64
	// Duration is how long requests are scheduled for: request i is due at
	// start + i/Rate while that is before start + Duration.
	Duration time.Duration
	// MaxInFlight caps the requests outstanding at once (one goroutine and
	// one connection each). It should be generous: a request due while
	// every slot is busy waits for one, and is late.
	MaxInFlight int
	// LateAfter is how far behind its schedule a request may leave and
	// still count as on time (default 2 ms: the Go timer that paces the
	// sender wakes about once a millisecond on Linux).
	LateAfter time.Duration
	// Timeout bounds each request (default 5 s), and how long the run waits
	// after the schedule ends: requests still unsent then are counted as
	// unsent, answers still outstanding as errors.
	Timeout time.Duration
}

// PacedResult is what an open-loop run measured. Latencies count from each
// request's scheduled send time, not from when it actually left: a sender
// held up (by a full cap, or by the machine) would otherwise hide the very
// queueing it is there to see (coordinated omission).
type PacedResult struct {
	// Rate is the offered load, Window the span requests were scheduled over.
	Rate   float64
	Window time.Duration
	// Scheduled = Sent + Unsent.
	Scheduled, Sent, Unsent int64
	// Late counts sent requests that left more than LateAfter behind schedule.
	Late int64
	// Errors counts sent requests that failed or were answered other than 200.
	Errors int64
	// LastSend is when the last request left, from the start of the schedule.
	LastSend time.Duration
	// PeakInFlight is the most requests outstanding at once.
	PeakInFlight int64
	// P50, P99 and Max are latencies from the scheduled send time to the end
	// of the answer (or the failure), over every sent request.
	P50, P99, Max time.Duration
	// SendDelayP99 is how far behind schedule the 99th percentile request
	// left: the sender's own share of the latencies above.
	SendDelayP99 time.Duration
}

// SendRate is the requests sent per second of the schedule's window.
func (r PacedResult) SendRate() float64 {
	if r.Window <= 0 {
		return 0
	}
	return float64(r.Sent) / r.Window.Seconds()
}

// sample is one sent request's outcome.
type sample struct {
	latency, delay time.Duration
	ok             bool
}

// Paced drives t at a constant arrival rate: it does not wait for earlier
// answers before sending the next request, so the server sees the load a
// crowd of independent users puts on it, and its queueing shows in the
// latencies instead of slowing the sender down (as it does in the closed
// loop of Native and wrk).
func Paced(ctx context.Context, t Target, o PacedOptions) (PacedResult, error) {
	if o.Rate <= 0 || o.Duration <= 0 || o.MaxInFlight <= 0 {
		return PacedResult{}, errors.New("paced load: rate, duration and in-flight cap must be positive")
	}
	if o.LateAfter <= 0 {
		o.LateAfter = 2 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        o.MaxInFlight,
		MaxIdleConnsPerHost: o.MaxInFlight,
		MaxConnsPerHost:     o.MaxInFlight,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	scheduled := int64(math.Ceil(o.Duration.Seconds() * o.Rate))
	start := time.Now()
	runCtx, cancel := context.WithDeadline(ctx, start.Add(o.Duration+o.Timeout))
	defer cancel()

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		all      []sample
		inFlight atomic.Int64
		peak     atomic.Int64
	)
	// work carries each request's scheduled send time to a free worker.
	work := make(chan time.Time)
	worker := func() {
		local := make([]sample, 0, 1024)
		for at := range work {
			delay := time.Since(at)
			n := inFlight.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			ok := get(runCtx, client, t)
			local = append(local, sample{latency: time.Since(at), delay: delay, ok: ok})
			inFlight.Add(-1)
		}
		mu.Lock()
		all = append(all, local...)
		mu.Unlock()
	}

	var sent int64
	var lastSend time.Duration
	workers := 0
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
schedule:
	for i := range scheduled {
		at := start.Add(time.Duration(float64(i) * float64(time.Second) / o.Rate))
		if d := time.Until(at); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-runCtx.Done():
				break schedule
			}
		}
		select {
		case work <- at:
		default:
			// Every worker is busy: start one more up to the cap, else wait
			// for one to come free (this request is then late).
			if workers < o.MaxInFlight {
				workers++
				wg.Go(worker)
			}
			select {
			case work <- at:
			case <-runCtx.Done():
				break schedule
			}
		}
		sent++
		lastSend = time.Since(start)
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return PacedResult{}, err
	}

	res := PacedResult{
		Rate: o.Rate, Window: o.Duration,
		Scheduled: scheduled, Sent: sent, Unsent: scheduled - sent,
		LastSend: lastSend, PeakInFlight: peak.Load(),
	}
	lat := make([]time.Duration, 0, len(all))
	delays := make([]time.Duration, 0, len(all))
	for _, s := range all {
		lat = append(lat, s.latency)
		delays = append(delays, s.delay)
		if s.delay > o.LateAfter {
			res.Late++
		}
		if !s.ok {
			res.Errors++
		}
	}
	slices.Sort(lat)
	slices.Sort(delays)
	res.P50, res.P99, res.Max = percentile(lat, 50), percentile(lat, 99), percentile(lat, 100)
	res.SendDelayP99 = percentile(delays, 99)
	return res, nil
}

// get sends one GET of t and reads the answer; only a whole 200 is ok.
func get(ctx context.Context, client *http.Client, t Target) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return false
	}
	req.Header = t.Header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err == nil && resp.StatusCode == http.StatusOK
}
