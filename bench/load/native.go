package load

import (
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Native is a closed-loop Go load generator: one goroutine per connection,
// each sending its next request as soon as the previous response is read.
// It costs more CPU per request than wrk, which matters on a small machine
// where the generator shares the cores with the servers.
type Native struct{}

// Name implements Generator.
func (Native) Name() string { return "go" }

// Run implements Generator.
func (Native) Run(ctx context.Context, t Target, o Options) (Result, error) {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        o.Connections,
		MaxIdleConnsPerHost: o.Connections,
		MaxConnsPerHost:     o.Connections,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		all      []time.Duration
		errs     atomic.Int64
		bytesIn  atomic.Int64
		requests atomic.Int64
	)
	start := time.Now()
	for range o.Connections {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
				if err != nil {
					errs.Add(1)
					return
				}
				req.Header = t.Header.Clone()
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
						requests.Add(1)
					}
					continue
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if ctx.Err() != nil && err != nil {
					break // cut off by the end of the run: not a request
				}
				lat = append(lat, time.Since(t0))
				requests.Add(1)
				bytesIn.Add(n)
				if err != nil || resp.StatusCode != http.StatusOK {
					errs.Add(1)
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	return Result{
		Tool:     "go",
		Requests: requests.Load(),
		Errors:   errs.Load(),
		Elapsed:  elapsed,
		Bytes:    bytesIn.Load(),
		P50:      percentile(all, 50),
		P99:      percentile(all, 99),
		Max:      percentile(all, 100),
	}, nil
}

// percentile returns the p-th percentile of sorted (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
