// Command soak runs the whole product under steady mixed traffic and checks
// that it stays healthy: not one failed request, and no growth of
// goroutines or live heap beyond a tolerance.
//
//	go run ./cmd/soak                  # 5 minutes
//	go run ./cmd/soak -duration 60s
//
// Like `make run`, it uses a fresh database on the project-local Postgres
// cluster (or on DATABASE_URL's server) and the Clerk emulator; the app
// runs in this process (internal/app.Run), so the figures are read from
// the Go runtime directly. Each of the connections loops over signed-in
// pages (cookies, as a browser holds them after signing in with Clerk),
// JSON API reads, creates and deletes (Bearer tokens), and Svix-signed
// webhooks, half of them redeliveries. Tokens are refreshed as Clerk's
// front-end SDKs do.
//
// Resources are measured with no load running, after a warm-up and again
// at the end, each time after a forced GC. It exits 1 when any request
// failed, the app logged an error, or goroutines or live heap grew beyond
// the tolerances; 2 when the stack could not start.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"example.com/saas/internal/stack"
)

type options struct {
	stack.LoadFlags
	goroutineGrowth float64
	heapGrowth      float64
	cold            bool
}

// Growth below these is never a failure, whatever the ratio: a handful of
// goroutines or a megabyte is noise at this size.
const (
	goroutineSlack = 5
	heapSlack      = 1 << 20
)

func main() {
	o := options{LoadFlags: stack.LoadFlags{Duration: 5 * time.Minute, Warmup: 10 * time.Second, Connections: 32}}
	o.LoadFlags.Register(flag.CommandLine)
	flag.Float64Var(&o.goroutineGrowth, "max-goroutine-growth", 0.20, "tolerated growth of goroutines (0.20 = +20%)")
	flag.Float64Var(&o.heapGrowth, "max-heap-growth", 0.50, "tolerated growth of the live heap after GC (0.50 = +50%)")
	flag.BoolVar(&o.cold, "cold", false, "start the load on a cold JWKS cache (no first request per session)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
	}
	stop()
	os.Exit(code)
}

func run(ctx context.Context, o options) (int, error) {
	p, err := startProduct(ctx, o.Keep)
	if err != nil {
		return 2, err
	}
	defer p.stop()

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var refreshFailures atomic.Int64
	var sessions []*tenantSession
	for _, t := range []struct{ user, org, slug string }{
		{"user_2alice000000000000000000000", "org_2acme0000000000000000000000", "acme"},
		{"user_2carol000000000000000000000", "org_2globex00000000000000000000", "globex"},
	} {
		ts, err := newTenantSession(sctx, p.emu, t.user, t.org, t.slug)
		if err != nil {
			return 2, err
		}
		go ts.keepFresh(sctx, p.emu, &refreshFailures)
		sessions = append(sessions, ts)
	}
	wh, err := svix.NewWebhook(p.emu.WebhookSecret())
	if err != nil {
		return 2, err
	}
	transport := &http.Transport{MaxIdleConnsPerHost: o.Connections, MaxConnsPerHost: o.Connections}
	tr := &traffic{
		base:     p.url,
		client:   &http.Client{Transport: transport, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		sessions: sessions,
		wh:       wh,
	}
	fmt.Printf("soak: %s at %d connections (after a %s warm-up); app, emulator and load in this process; database %s\n",
		o.Duration, o.Connections, o.Warmup, p.db.Name)

	phase := func(name string, d time.Duration) (*stats, time.Duration) {
		tr.stats, tr.runID = newStats(), name
		start := time.Now()
		timer := time.AfterFunc(d, func() { tr.stop.Store(true) })
		defer timer.Stop()
		stopOnInterrupt := context.AfterFunc(ctx, func() { tr.stop.Store(true) }) // Ctrl-C ends the phase early
		defer stopOnInterrupt()
		tr.run(o.Connections)
		transport.CloseIdleConnections()
		return tr.stats, time.Since(start)
	}

	if !o.cold {
		// Each session makes one request before the load, as a browser
		// signs in before it browses: the app's first JWKS fetch is then
		// behind it. -cold starts all connections at once instead.
		for _, ts := range sessions {
			if err := tr.api(ts.Token(), http.MethodGet, "/api/v1/me", nil, http.StatusOK, nil); err != nil {
				return 2, err
			}
		}
	}
	warm, _ := phase("warmup", o.Warmup)
	if n := warm.total().errors.Load(); n > 0 {
		warm.print(os.Stdout, o.Warmup)
		return 1, fmt.Errorf("%d requests failed during the warm-up; the app logged:\n%s", n, p.logs.notable())
	}
	before, err := takeSnapshot(ctx, p)
	if err != nil {
		return 2, err
	}
	measured, elapsed := phase("run", o.Duration)
	after, err := takeSnapshot(context.Background(), p)
	if err != nil {
		return 2, err
	}

	fmt.Printf("\nrequests over %s:\n", elapsed.Round(time.Second))
	measured.print(os.Stdout, elapsed)
	fmt.Printf("\nresources with no load, after a forced GC:\n")
	fmt.Printf("  %-22s %12s %12s %8s %10s\n", "", "start", "end", "growth", "limit")
	fmt.Printf("  %-22s %12d %12d %+7.0f%% %+9.0f%%\n", "goroutines", before.goroutines, after.goroutines,
		100*growth(float64(before.goroutines), float64(after.goroutines)), 100*o.goroutineGrowth)
	fmt.Printf("  %-22s %12s %12s %+7.0f%% %+9.0f%%\n", "live heap", mib(float64(before.heapLive)), mib(float64(after.heapLive)),
		100*growth(float64(before.heapLive), float64(after.heapLive)), 100*o.heapGrowth)
	fmt.Printf("  %-22s %12s %12s %+7.0f%% %10s\n", "RSS (whole process)", mib(float64(before.rss)), mib(float64(after.rss)),
		100*growth(float64(before.rss), float64(after.rss)), "report")
	fmt.Printf("  %-22s %12d %12d %8s %10s\n", "database connections", before.dbConns, after.dbConns, "", "report")
	fmt.Printf("  app log: %d errors, %d warnings; token refresh failures: %d\n",
		p.logs.count("ERROR"), p.logs.count("WARN"), refreshFailures.Load())

	// Every webhook applied once however often delivered, and every project
	// the load created deleted again.
	wantEvents := measured.byKind["webhook"].count.Load() - measured.byKind["webhook"].errors.Load()
	events, err := p.count(context.Background(), "SELECT count(*) FROM webhook_events WHERE svix_id LIKE 'msg_soak_run_%'")
	if err != nil {
		return 2, err
	}
	leftovers, err := p.count(context.Background(), "SELECT count(*) FROM projects WHERE name LIKE 'Soak %'")
	if err != nil {
		return 2, err
	}
	fmt.Printf("  webhook events recorded: %d for %d distinct deliveries; projects left behind: %d\n", events, wantEvents, leftovers)

	if notable := p.logs.notable(); notable != "" {
		fmt.Printf("\nthe app's first warnings and errors:\n%s\n", notable)
	}

	var failures []string
	if int64(events) != wantEvents {
		failures = append(failures, fmt.Sprintf("%d webhook events recorded for %d distinct deliveries", events, wantEvents))
	}
	if leftovers > 0 {
		failures = append(failures, fmt.Sprintf("%d projects the load created were not deleted", leftovers))
	}
	if n := measured.total().errors.Load(); n > 0 {
		failures = append(failures, fmt.Sprintf("%d requests failed", n))
	}
	if n := p.logs.count("ERROR"); n > 0 {
		failures = append(failures, fmt.Sprintf("the app logged %d errors (the first are above)", n))
	}
	if n := refreshFailures.Load(); n > 0 {
		failures = append(failures, fmt.Sprintf("%d session token refreshes failed", n))
	}
	if limit := float64(before.goroutines) * (1 + o.goroutineGrowth); float64(after.goroutines) > limit && after.goroutines-before.goroutines > goroutineSlack {
		failures = append(failures, fmt.Sprintf("goroutines grew from %d to %d", before.goroutines, after.goroutines))
	}
	if limit := float64(before.heapLive) * (1 + o.heapGrowth); float64(after.heapLive) > limit && after.heapLive-before.heapLive > heapSlack {
		failures = append(failures, fmt.Sprintf("the live heap grew from %s to %s", mib(float64(before.heapLive)), mib(float64(after.heapLive))))
	}
	if ctx.Err() != nil {
		failures = append(failures, "interrupted")
	}
	if len(failures) > 0 {
		fmt.Println("\nFAIL")
		for _, f := range failures {
			fmt.Println("  " + f)
		}
		return 1, nil
	}
	fmt.Println("\nPASS")
	return 0, nil
}
