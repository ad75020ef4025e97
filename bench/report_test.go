package main

import (
	"strings"
	"testing"
	"time"

	"example.com/saas/bench/load"
)

const ep = "API GET /api/v1/projects (Bearer)"

func closedRound(rps float64, p99 time.Duration, pgRemote bool) round {
	return round{Result: load.Result{Requests: int64(rps * 4), Elapsed: 4 * time.Second, P50: p99 / 2, P99: p99},
		serverCPU: time.Duration(rps*4) * 200 * time.Microsecond, pgCPU: time.Duration(rps*4) * 50 * time.Microsecond, pgRemote: pgRemote}
}

func openAt(server string, share float64, p99 time.Duration) openRun {
	return openRun{endpoint: ep, server: server, share: share, PacedResult: load.PacedResult{
		Rate: share * 5000, Window: 5 * time.Second, Scheduled: int64(share * 25000), Sent: int64(share * 25000),
		P50: p99 / 3, P99: p99, Max: 2 * p99, SendDelayP99: 800 * time.Microsecond,
	}, senderCPU: time.Duration(share*25000) * 250 * time.Microsecond}
}

// testReport has one endpoint measured closed loop (app 4,500 req/s,
// baseline 5,000) and open loop at every share in three rounds, every
// round of the app's p99 at 50% set by appP99 and the baseline's by baseP99.
func testReport(appP99, baseP99 time.Duration) *report {
	return testReportRounds([]time.Duration{appP99, appP99, appP99}, []time.Duration{baseP99, baseP99, baseP99})
}

// testReportRounds is testReport with each open-loop round's p99 at 50%
// given: app[i] and base[i] are round i's.
func testReportRounds(app, base []time.Duration) *report {
	r := &report{opts: options{rounds: 1, openDuration: 5 * time.Second, openRounds: len(app), openCap: 1024}}
	r.opts.Connections = 64
	r.add(ep, "app", closedRound(4500, 30*time.Millisecond, false))
	r.add(ep, "baseline", closedRound(5000, 20*time.Millisecond, false))
	for _, share := range openShares() {
		for i := range app {
			a, b := 2*time.Millisecond, 2*time.Millisecond
			if share == targetOpenShare {
				a, b = app[i], base[i]
			}
			r.open = append(r.open, openAt("app", share, a), openAt("baseline", share, b))
		}
	}
	return r
}

func findCheck(t *testing.T, cs []check, prefix string) check {
	t.Helper()
	for _, c := range cs {
		if strings.HasPrefix(c.name, prefix) {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", prefix, cs)
	return check{}
}

func TestOpenLoopVerdict(t *testing.T) {
	for _, c := range []struct {
		name          string
		app, baseline time.Duration
		ok            bool
	}{
		{"within both", 6 * time.Millisecond, 5 * time.Millisecond, true},
		{"at 10 ms", 10 * time.Millisecond, 8 * time.Millisecond, true},
		{"at 1.5x the baseline", 9 * time.Millisecond, 6 * time.Millisecond, true},
		{"over 10 ms", 11 * time.Millisecond, 10 * time.Millisecond, false},
		{"over 1.5x the baseline", 4 * time.Millisecond, 2 * time.Millisecond, false},
		{"no baseline samples", 4 * time.Millisecond, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := testReport(c.app, c.baseline)
			chk := findCheck(t, r.checks(), ep+": app p99 at 50%")
			if chk.ok != c.ok || chk.info {
				t.Errorf("ok = %v (info %v), want %v: %+v", chk.ok, chk.info, c.ok, chk)
			}
			failed := strings.Join(r.failures(), "\n")
			if strings.Contains(failed, "app p99 at 50%") == c.ok {
				t.Errorf("failures() = %q, want the open loop missed: %v", failed, !c.ok)
			}
		})
	}
}

func TestOpenLoopErrorsAndUnsentFail(t *testing.T) {
	r := testReport(5*time.Millisecond, 5*time.Millisecond)
	if c := findCheck(t, r.checks(), ep+": open loop errors"); !c.ok {
		t.Errorf("clean runs missed: %+v", c)
	}
	r.open[0].Unsent = 3
	r.open[5].Errors = 2
	c := findCheck(t, r.checks(), ep+": open loop errors")
	if c.ok || c.value != "2 errors, 3 unsent" {
		t.Errorf("check = %+v, want missed with 2 errors, 3 unsent", c)
	}
	r.open[1].Late = 7
	if c := findCheck(t, r.checks(), ep+": open loop late"); !c.info || !strings.HasPrefix(c.value, "7 of ") {
		t.Errorf("late check = %+v", c)
	}
}

// The sender's own CPU is reported, without a target, unless the app ran
// in the bench's process (then the figure would hold the app's too).
func TestOpenLoopSenderCPU(t *testing.T) {
	r := testReport(5*time.Millisecond, 5*time.Millisecond)
	if c := findCheck(t, r.checks(), ep+": open loop sender's own CPU"); !c.info || c.value != "250 µs" {
		t.Errorf("sender check = %+v, want 250 µs, no target", c)
	}
	r.inProcess = true
	for _, c := range r.checks() {
		if strings.Contains(c.name, "sender's own CPU") {
			t.Errorf("in-process run reports %+v", c)
		}
	}
}

// The closed loop's p99 is reported with no target; its req/s ratio keeps one.
func TestClosedLoopChecks(t *testing.T) {
	r := testReport(5*time.Millisecond, 5*time.Millisecond)
	cs := r.checks()
	if c := findCheck(t, cs, ep+": app p99 at 64 connections"); !c.info {
		t.Errorf("closed-loop p99 has a target: %+v", c)
	}
	// 4,500 against 5,000: 0.90, on the line.
	if c := findCheck(t, cs, ep+": app/baseline req/s"); !c.ok || c.target != "≥ 0.9" {
		t.Errorf("ratio check = %+v", c)
	}
	r.find(ep, "app").rounds[0] = closedRound(4000, 10*time.Millisecond, false)
	if c := findCheck(t, r.checks(), ep+": app/baseline req/s"); c.ok {
		t.Errorf("0.80 passed: %+v", c)
	}
}

// The verdict reads the median round of each server: one stalled round
// (of either) shows in the table and the worst-round figure but does not
// decide, two of three do.
func TestOpenLoopReadsTheMedianRound(t *testing.T) {
	ms := func(v ...float64) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x*float64(time.Millisecond)))
		}
		return out
	}
	for _, c := range []struct {
		name      string
		app, base []time.Duration
		ok        bool
		value     string
	}{
		{"one app round stalled", ms(6, 80, 7), ms(5, 5, 6), true, "7.0 ms (worst round 80.0 ms; baseline 5.0 ms, worst 6.0 ms: 1.40x)"},
		{"one baseline round stalled", ms(6, 7, 7), ms(5, 100, 6), true, "7.0 ms (worst round 7.0 ms; baseline 6.0 ms, worst 100.0 ms: 1.17x)"},
		{"two app rounds over 10 ms", ms(12, 6, 14), ms(8, 8, 8), false, "12.0 ms (worst round 14.0 ms; baseline 8.0 ms, worst 8.0 ms: 1.50x)"},
		{"app over 1.5x in two rounds", ms(9, 4, 9), ms(5, 5, 5), false, "9.0 ms (worst round 9.0 ms; baseline 5.0 ms, worst 5.0 ms: 1.80x)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			chk := findCheck(t, testReportRounds(c.app, c.base).checks(), ep+": app p99 at 50%")
			if chk.ok != c.ok || chk.value != c.value {
				t.Errorf("check = %+v, want ok %v, value %q", chk, c.ok, c.value)
			}
			if !strings.Contains(chk.name, "median of 3 rounds") {
				t.Errorf("check name %q does not say how it reads the rounds", chk.name)
			}
		})
	}
}

func TestOpenLoopTable(t *testing.T) {
	var b strings.Builder
	r := testReportRounds([]time.Duration{6 * time.Millisecond, 30 * time.Millisecond, 5 * time.Millisecond}, []time.Duration{4 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond})
	r.open[2].Late = 4 // app at 25%, round 2
	r.printOpen(&b)
	out := b.String()
	for _, want := range []string{
		"| endpoint | offered | server | req/s offered | req/s sent | p50 | p99 | rounds: p99 ms | max | errors | late | unsent | p99 app/baseline |",
		// The median round (6 ms) gives p50 and p99; max is the worst round's.
		"| " + ep + " | 50% | app | 2500 | 2500 | 2.0 ms | 6.0 ms | 6.0 / 30.0 / 5.0 | 60.0 ms | 0 | 0 | 0 | **1.50** |",
		"| " + ep + " | 50% | baseline | 2500 | 2500 | 1.3 ms | 4.0 ms | 4.0 / 4.0 / 4.0 | 8.0 ms | 0 | 0 | 0 |  |",
		"| " + ep + " | 25% | app | 1250 | 1250 | 0.67 ms | 2.0 ms | 2.0 / 2.0 / 2.0 | 4.0 ms | 0 | 4 | 0 | **1.00** |",
		"| " + ep + " | 75% | app | 3750 |",
		"3 rounds at each rate alternating app and baseline, 5s each",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if rows := strings.Count(out, "\n| "+ep+" |"); rows != 6 {
		t.Errorf("%d rows, want 6 (3 shares x 2 servers):\n%s", rows, out)
	}
	b.Reset()
	(&report{}).printOpen(&b)
	if !strings.Contains(b.String(), "Not run (-skip-open)") {
		t.Errorf("skipped phase printed %q", b.String())
	}
}

// A run that fell back to the Go generator says so, and how to get wrk;
// one that asked for it, or ran wrk, does not.
func TestReportSaysWhenWrkIsMissing(t *testing.T) {
	for _, c := range []struct {
		tool, asked string
		hint        bool
	}{
		{"go", "auto", true},
		{"go", "go", false},
		{"wrk", "auto", false},
	} {
		r := testReport(5*time.Millisecond, 5*time.Millisecond)
		r.tool, r.opts.loadgen = c.tool, c.asked
		var b strings.Builder
		r.print(&b)
		if got := strings.Contains(b.String(), "apt-get install wrk"); got != c.hint {
			t.Errorf("tool %s, -loadgen %s: hint printed %v, want %v", c.tool, c.asked, got, c.hint)
		}
	}
}

func TestPostgresCPURemote(t *testing.T) {
	r := testReport(5*time.Millisecond, 5*time.Millisecond)
	if r.pgRemote() {
		t.Fatal("local rounds reported remote")
	}
	_, pg, ok := r.find(ep, "app").cpuPerRequest()
	if !ok || pgCell(pg, ok) != "50 µs" {
		t.Errorf("local Postgres CPU = %s", pgCell(pg, ok))
	}
	r.find(ep, "baseline").rounds = append(r.find(ep, "baseline").rounds, closedRound(5000, 20*time.Millisecond, true))
	if !r.pgRemote() {
		t.Error("a remote round not reported")
	}
	_, pg, ok = r.find(ep, "baseline").cpuPerRequest()
	if ok || pgCell(pg, ok) != "n/a (remote server)" {
		t.Errorf("remote Postgres CPU = %q, want n/a (remote server)", pgCell(pg, ok))
	}
	c := findCheck(t, r.checks(), ep+": CPU per request")
	if !strings.Contains(c.name, "servers only") || c.value != "1.00" {
		t.Errorf("CPU check with a remote server = %+v, want the servers' ratio alone", c)
	}
	var b strings.Builder
	r.print(&b)
	if !strings.Contains(b.String(), "n/a (remote server)") {
		t.Errorf("report does not say n/a:\n%s", b.String())
	}
}

func TestVerdict(t *testing.T) {
	if verdict(check{ok: true}) != "ok" || verdict(check{}) != "**MISSED**" || verdict(check{info: true}) != "" {
		t.Error("verdicts")
	}
}

func TestWebhookRatioCheck(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name      string
		app, base webhookSeries
		ok, info  bool
	}{
		{"not measured", webhookSeries{{Unique: 100, Elapsed: sec}}, nil, false, true},
		{"at 0.6", webhookSeries{{Unique: 600, Elapsed: sec}}, webhookSeries{{Unique: 1000, Elapsed: sec, Recorded: 1000}}, true, false},
		{"under", webhookSeries{{Unique: 500, Elapsed: sec}}, webhookSeries{{Unique: 1000, Elapsed: sec}}, false, false},
		{"baseline failures", webhookSeries{{Unique: 900, Elapsed: sec}}, webhookSeries{{Unique: 1000, Elapsed: sec, Failed: 3}}, false, false},
		// The median pair decides, not the totals (here 0.52): one slow
		// round does not fail the run.
		{"median of rounds", webhookSeries{{Unique: 600, Elapsed: sec}, {Unique: 100, Elapsed: sec}, {Unique: 700, Elapsed: sec}},
			webhookSeries{{Unique: 1000, Elapsed: sec}, {Unique: 1000, Elapsed: sec}, {Unique: 1000, Elapsed: sec}}, true, false},
	}
	for _, tt := range tests {
		r := &report{webhooks: tt.app, baseWebhooks: tt.base}
		c := r.webhookRatioCheck()
		if c.ok != tt.ok || c.info != tt.info {
			t.Errorf("%s: %+v, want ok %v info %v", tt.name, c, tt.ok, tt.info)
		}
	}
}
