package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/saas/bench/load"
)

// Targets of docs/performance.md, Budget.
const (
	targetRatio = 0.9
	// The open loop's: the app's p99 at half the baseline's capacity, in
	// absolute terms and against the baseline's p99 at the same rate.
	targetOpenShare    = 0.5
	targetOpenP99      = 10 * time.Millisecond
	targetOpenP99Ratio = 1.5
	targetWebhooks     = 1000.0
	// targetWebhookRatio is the app's unique events/s against the bare
	// baseline's (verify, one INSERT … ON CONFLICT) in the same run: the app
	// also applies each event (an upsert in the same transaction).
	targetWebhookRatio = 0.6
	targetStartup      = time.Second
	targetIdleRSSKB    = 40 * 1024
	targetScaleRatio   = 1.2
)

type series struct {
	endpoint, server string
	rounds           []round
}

// round is one measured run, with the CPU time the server and Postgres
// used during it.
type round struct {
	load.Result
	serverCPU, pgCPU time.Duration
	// pgRemote: the backends are not on this machine, pgCPU is unknown.
	pgRemote bool
}

// cpuPerRequest is the server's and Postgres' CPU time per request; pgOK
// is false when Postgres' could not be read in some round (a remote server).
func (s series) cpuPerRequest() (server, pg time.Duration, pgOK bool) {
	var n int64
	pgOK = true
	for _, r := range s.rounds {
		n += r.Requests
		server += r.serverCPU
		pg += r.pgCPU
		pgOK = pgOK && !r.pgRemote
	}
	if n == 0 {
		return 0, 0, pgOK
	}
	return server / time.Duration(n), pg / time.Duration(n), pgOK
}

// pgCell is a Postgres CPU figure, or why there is none.
func pgCell(d time.Duration, ok bool) string {
	if !ok {
		return pgNA
	}
	return us(d)
}

const pgNA = "n/a (remote server)"

// rps is the requests per second over every round.
func (s series) rps() float64 {
	var n int64
	var d time.Duration
	for _, r := range s.rounds {
		n += r.Requests
		d += r.Elapsed
	}
	if d == 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// p50 and p99 are the median round's, like the req/s ratio: a stall of
// the shared machine lands in one round of either server (each round's
// p99 is printed, and the worst next to the median).
func (s series) p50() time.Duration {
	return medianOf(s.rounds, func(r round) time.Duration { return r.P50 })
}

func (s series) p99() time.Duration {
	return medianOf(s.rounds, func(r round) time.Duration { return r.P99 })
}

func (s series) worstP99() time.Duration {
	var worst time.Duration
	for _, r := range s.rounds {
		worst = max(worst, r.P99)
	}
	return worst
}

func medianOf(rounds []round, of func(round) time.Duration) time.Duration {
	var v []time.Duration
	for _, r := range rounds {
		v = append(v, of(r))
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func (s series) errors() int64 {
	var n int64
	for _, r := range s.rounds {
		n += r.Errors
	}
	return n
}

// pairedRatio is the median over rounds of a's req/s over b's in the same
// round: each pair ran back to back, so load from outside the benchmark
// that comes and goes skews it less than the totals.
func pairedRatio(a, b *series) float64 {
	var v []float64
	for i := range min(len(a.rounds), len(b.rounds)) {
		if b.rounds[i].RPS() > 0 {
			v = append(v, a.rounds[i].RPS()/b.rounds[i].RPS())
		}
	}
	return median(v)
}

// median is v's median, 0 for none; v is sorted in place.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

// cpuRatio is the CPU per request of a over b: server plus Postgres, or
// the servers' alone (withPG false) when Postgres' is unknown for either.
func cpuRatio(a, b *series) (ratio float64, withPG bool) {
	as, ap, aok := a.cpuPerRequest()
	bs, bp, bok := b.cpuPerRequest()
	withPG = aok && bok
	if !withPG {
		ap, bp = 0, 0
	}
	if bs+bp == 0 {
		return 0, withPG
	}
	return float64(as+ap) / float64(bs+bp), withPG
}

// roundRPS lists each round's requests/s and, in brackets, its p99 in ms.
func (s series) roundRPS() string {
	var parts []string
	for _, r := range s.rounds {
		parts = append(parts, fmt.Sprintf("%.0f (%.1f)", r.RPS(), float64(r.P99)/float64(time.Millisecond)))
	}
	return strings.Join(parts, " / ")
}

type report struct {
	opts      options
	tool      string
	pg        string
	load      string // load average when the run started
	inProcess bool
	series    []*series
	open      []openRun

	startups                    []time.Duration
	baseStartup                 time.Duration
	appIdleKB, baseIdleKB       int64
	appPeakKB, basePeakKB       int64
	appAfterKB, appHWMKB        int64
	appPageBytes, basePageBytes int
	// wire is the app's page and API answer as sent to a client accepting
	// gzip, then zstd (the load itself asks for neither, like wrk).
	wire              []string
	webhooks          webhookSeries
	baseWebhooks      webhookSeries
	loadBAPI, allBAPI map[string]int
}

func (r *report) add(endpoint, server string, res round) {
	for _, s := range r.series {
		if s.endpoint == endpoint && s.server == server {
			s.rounds = append(s.rounds, res)
			return
		}
	}
	r.series = append(r.series, &series{endpoint: endpoint, server: server, rounds: []round{res}})
}

func (r *report) find(endpoint, server string) *series {
	for _, s := range r.series {
		if s.endpoint == endpoint && s.server == server {
			return s
		}
	}
	return nil
}

func (r *report) endpoints() []string {
	var out []string
	for _, s := range r.series {
		if !slices.Contains(out, s.endpoint) {
			out = append(out, s.endpoint)
		}
	}
	return out
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\n## Results (%s)\n\n", time.Now().Format("2006-01-02 15:04"))
	where := "on this machine (its backends' CPU read from /proc)"
	if r.pgRemote() {
		where = "on another machine: its CPU is " + pgNA
	}
	fmt.Fprintf(w, "%s PostgreSQL %s %s.\n\n", machine(), r.pg, where)
	fmt.Fprintf(w, "Load average when the run started: %s (other work on the machine skews the numbers).\n", r.load)
	fmt.Fprintf(w, "Load: %s, %d connections, %d threads, %s per run, %d rounds alternating app and baseline, %s warm-up.\n",
		r.tool, r.opts.Connections, r.opts.threads, r.opts.Duration, r.opts.rounds, r.opts.Warmup)
	if r.tool == "go" && r.opts.loadgen != "go" {
		fmt.Fprintln(w, "wrk is not installed, so the closed loop ran on the Go generator in this process, which takes CPU from the servers it measures and lowers the baseline's capacity the open loop is paced from; `apt-get install wrk` for figures comparable with docs/performance.md.")
	}
	fmt.Fprintf(w, "Pools: app DB_MAX_CONNS=%d (MAX_IN_FLIGHT default: %d), baseline pgxpool %d.",
		r.opts.pool, r.opts.pool+runtime.GOMAXPROCS(0), r.opts.baselineConns)
	if len(r.opts.appEnv) > 0 {
		fmt.Fprintf(w, " App settings: %s.", r.opts.appEnv.String())
	}
	fmt.Fprint(w, "\n\n")
	fmt.Fprintln(w, "| endpoint | server | req/s | rounds: req/s (p99 ms) | p50 | p99 (worst round) | errors | CPU/req server | CPU/req Postgres | app/baseline req/s (paired median) |")
	fmt.Fprintln(w, "|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
	for _, ep := range r.endpoints() {
		a, b := r.find(ep, "app"), r.find(ep, "baseline")
		for _, s := range []*series{a, b} {
			if s == nil {
				continue
			}
			ratio := ""
			if s == a && b != nil && b.rps() > 0 {
				ratio = fmt.Sprintf("%.2f (**%.2f**)", a.rps()/b.rps(), pairedRatio(a, b))
			}
			cpu, pg, pgOK := s.cpuPerRequest()
			fmt.Fprintf(w, "| %s | %s | %.0f | %s | %s | %s | %d | %s | %s | %s |\n", ep, s.server, s.rps(), s.roundRPS(), ms(s.p50()), ms(s.p99())+" ("+ms(s.worstP99())+")", s.errors(), us(cpu), pgCell(pg, pgOK), ratio)
		}
	}
	fmt.Fprintf(w, "\n%s\n\n", closedP99Note(r.opts.Connections))
	r.printOpen(w)
	fmt.Fprintln(w, "| measure | value | target | |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, c := range r.checks() {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", c.name, c.value, c.target, verdict(c))
	}
	fmt.Fprintf(w, "\nPage sizes: app %d bytes, baseline %d bytes (padded with static filler to match).\n", r.appPageBytes, r.basePageBytes)
	if len(r.wire) > 0 {
		fmt.Fprintf(w, "On the wire (the app, to a client that accepts it): %s. The load phases ask for no compression, like wrk.\n", strings.Join(r.wire, ", "))
	}
	if len(r.allBAPI) > 0 {
		fmt.Fprintf(w, "Backend API calls after the load phases (webhook phase included): %v\n", r.allBAPI)
	}
}

type check struct {
	name, value, target string
	ok                  bool
	info                bool // informational, no target
}

func verdict(c check) string {
	switch {
	case c.info:
		return ""
	case c.ok:
		return "ok"
	default:
		return "**MISSED**"
	}
}

func (r *report) checks() []check {
	var cs []check
	for _, ep := range r.endpoints() {
		a, b := r.find(ep, "app"), r.find(ep, "baseline")
		if a == nil || b == nil || b.rps() == 0 {
			continue
		}
		ratio := pairedRatio(a, b)
		cpu, withPG := cpuRatio(a, b)
		cpuName := ep + ": CPU per request, app/baseline (server + Postgres)"
		if !withPG {
			cpuName = ep + ": CPU per request, app/baseline (servers only; Postgres " + pgNA + ")"
		}
		cs = append(cs,
			check{name: ep + ": app/baseline req/s (median of paired rounds)", value: fmt.Sprintf("%.2f (totals: %.2f)", ratio, a.rps()/b.rps()), target: fmt.Sprintf("≥ %.1f", targetRatio), ok: ratio >= targetRatio},
			check{name: fmt.Sprintf("%s: app p99 at %d connections (median round)", ep, r.opts.Connections), value: fmt.Sprintf("%s (worst round %s; baseline %s, worst %s)", ms(a.p99()), ms(a.worstP99()), ms(b.p99()), ms(b.worstP99())), info: true},
			check{name: cpuName, value: fmt.Sprintf("%.2f", cpu), info: true},
			check{name: ep + ": errors (app + baseline)", value: fmt.Sprint(a.errors() + b.errors()), target: "0", ok: a.errors()+b.errors() == 0},
		)
		cs = append(cs, r.openChecks(ep)...)
	}
	calls := 0
	for _, n := range r.loadBAPI {
		calls += n
	}
	cs = append(cs, check{name: "Clerk Backend API calls during the load phases", value: fmt.Sprint(calls), target: "0", ok: calls == 0})
	wh := r.webhooks.total()
	cs = append(cs, check{
		name:   fmt.Sprintf("webhook ingestion (%d senders, 50%% duplicates; all rounds)", r.opts.webhookWorkers),
		value:  fmt.Sprintf("%.0f deliveries/s (%.0f unique events/s), %d failed, %d applied of %d unique", wh.PerSecond(), wh.UniquePerSecond(), wh.Failed, wh.Recorded, wh.Unique),
		target: fmt.Sprintf("≥ %.0f unique events/s, each applied once", targetWebhooks),
		// Strict reading of "duplicates counted once": only unique events count.
		ok: wh.UniquePerSecond() >= targetWebhooks && wh.Failed == 0 && wh.Recorded == int64(wh.Unique),
	})
	cs = append(cs, r.webhookRatioCheck(), r.webhookCPUCheck())
	if r.inProcess {
		cs = append(cs, check{name: "start-up, RSS", value: "not measured: the app ran in-process (-cpuprofile/-memprofile)", info: true})
		return cs
	}
	if len(r.startups) == 0 {
		return cs // nothing started (a report built by a test)
	}
	sorted := slices.Clone(r.startups)
	slices.Sort(sorted)
	med := sorted[len(sorted)/2]
	var all []string
	for _, d := range r.startups {
		all = append(all, ms(d))
	}
	cs = append(cs,
		check{name: "app start-up, process start → /readyz 200 (median of 3)", value: fmt.Sprintf("%s (%s)", ms(med), strings.Join(all, ", ")), target: "< 1 s", ok: med < targetStartup},
		check{name: "app idle RSS after start", value: mb(r.appIdleKB), target: "< 40 MB", ok: r.appIdleKB < targetIdleRSSKB},
		check{name: "app RSS under load (peak sampled; VmHWM)", value: fmt.Sprintf("%s; %s", mb(r.appPeakKB), mb(r.appHWMKB)), info: true},
		check{name: "app RSS 2 s after the last phase", value: mb(r.appAfterKB), info: true},
		check{name: "baseline: start-up; idle RSS; peak under load", value: fmt.Sprintf("%s; %s; %s", ms(r.baseStartup), mb(r.baseIdleKB), mb(r.basePeakKB)), info: true},
	)
	return cs
}

func (r *report) failures() []string {
	var out []string
	for _, c := range r.checks() {
		if !c.info && !c.ok {
			out = append(out, fmt.Sprintf("%s = %s (target %s)", c.name, c.value, c.target))
		}
	}
	return out
}

func ms(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }

func mb(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }

func joinLines(s []string) string { return "\n  " + strings.Join(s, "\n  ") }

// machine describes where the numbers come from.
func machine() string {
	model, mem := "unknown CPU", "unknown memory"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
				mem = fmt.Sprintf("%.1f GB", float64(kb)/1024/1024)
				break
			}
		}
		f.Close()
	}
	return fmt.Sprintf("Machine: %d CPUs (%s), %s RAM, %s %s/%s.", runtime.NumCPU(), model, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// postgresVersion is the server's version string.
func postgresVersion(ctx context.Context, admin string) string {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "unknown"
	}
	defer conn.Close(ctx)
	var v string
	conn.QueryRow(ctx, "SHOW server_version").Scan(&v)
	return v
}

// webhookRatioCheck compares the app's webhook ingestion with the bare
// baseline's, in unique events per second of the same deliveries' shape:
// the median of the paired rounds, as the load phases.
func (r *report) webhookRatioCheck() check {
	name := "webhook ingestion, app/baseline unique events/s (median of paired rounds)"
	var ratios []float64
	for i := range min(len(r.webhooks), len(r.baseWebhooks)) {
		a, b := r.webhooks[i], r.baseWebhooks[i]
		if a.Elapsed > 0 && b.Elapsed > 0 {
			ratios = append(ratios, a.UniquePerSecond()/b.UniquePerSecond())
		}
	}
	if len(ratios) == 0 {
		return check{name: name, value: "not measured", info: true}
	}
	app, base := r.webhooks.total(), r.baseWebhooks.total()
	ratio := median(ratios)
	return check{
		name:   name,
		value:  fmt.Sprintf("%.2f (totals: app %.0f, baseline %.0f; baseline failed %d, recorded %d of %d)", ratio, app.UniquePerSecond(), base.UniquePerSecond(), base.Failed, base.Recorded, base.Unique),
		target: fmt.Sprintf("≥ %.1f", targetWebhookRatio),
		ok:     ratio >= targetWebhookRatio && base.Failed == 0,
	}
}

// webhookCPUCheck reports the CPU time a delivery costs the server and
// Postgres, app and baseline: where the difference in rate comes from.
func (r *report) webhookCPUCheck() check {
	app, base := r.webhooks.total(), r.baseWebhooks.total()
	as, ap := app.cpuPerDelivery()
	bs, bp := base.cpuPerDelivery()
	pg := func(d time.Duration, w webhookResult) string { return pgCell(d, !w.PGRemote) }
	return check{
		name:  "webhook ingestion: CPU per delivery, server + Postgres",
		value: fmt.Sprintf("app %s + %s, baseline %s + %s", us(as), pg(ap, app), us(bs), pg(bp, base)),
		info:  true,
	}
}
