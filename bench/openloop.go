package main

import (
	"cmp"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"example.com/saas/bench/load"
)

// openShares are the open-loop phase's offered loads, as shares of the
// rate the baseline sustained in the closed loop of the same run: a ratio,
// so the phase asks the same of any machine.
func openShares() []float64 { return []float64{0.25, 0.5, 0.75} }

// openRun is one server's open-loop run at one offered rate, one round.
type openRun struct {
	endpoint, server string
	share            float64
	load.PacedResult
	// senderCPU is the bench process's CPU time during the run: the
	// sender's, which shares the cores with the servers and Postgres.
	senderCPU time.Duration
}

// openRate is every round of one server at one offered rate.
type openRate []openRun

func (r *report) findOpen(endpoint, server string, share float64) openRate {
	var out openRate
	for _, o := range r.open {
		if o.endpoint == endpoint && o.server == server && o.share == share {
			out = append(out, o)
		}
	}
	return out
}

// median is the round whose p99 is the median, as the closed loop reads
// its rounds: one stall of the shared machine moves one round, not the
// verdict. The zero run when there is none.
func (rs openRate) median() load.PacedResult {
	if len(rs) == 0 {
		return load.PacedResult{}
	}
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, b openRun) int { return cmp.Compare(a.P99, b.P99) })
	return sorted[len(sorted)/2].PacedResult
}

// total adds the rounds' counts up; its Max and SendDelayP99 are the worst
// round's, and its P50 and P99 are left zero: percentiles do not add.
func (rs openRate) total() load.PacedResult {
	var t load.PacedResult
	for _, o := range rs {
		t.Rate = o.Rate
		t.Window += o.Window
		t.Scheduled, t.Sent, t.Unsent = t.Scheduled+o.Scheduled, t.Sent+o.Sent, t.Unsent+o.Unsent
		t.Late, t.Errors = t.Late+o.Late, t.Errors+o.Errors
		t.Max = max(t.Max, o.Max)
		t.SendDelayP99 = max(t.SendDelayP99, o.SendDelayP99)
	}
	return t
}

// p99Ratio is rs's median-round p99 over base's, 0 when base has none.
func (rs openRate) p99Ratio(base openRate) float64 {
	b := base.median().P99
	if b <= 0 {
		return 0
	}
	return float64(rs.median().P99) / float64(b)
}

func (rs openRate) roundP99s() string {
	var parts []string
	for _, o := range rs {
		parts = append(parts, fmt.Sprintf("%.1f", float64(o.P99)/float64(time.Millisecond)))
	}
	return strings.Join(parts, " / ")
}

func (rs openRate) worstP99() time.Duration {
	var worst time.Duration
	for _, o := range rs {
		worst = max(worst, o.P99)
	}
	return worst
}

// closedP99Note says why the closed loop's p99 has no target.
func closedP99Note(conns int) string {
	return fmt.Sprintf("The p99 at %d connections has no target: with %d requests always outstanding on %d shared cores it is Little's law (%d / req/s) plus queueing, not what a user feels; the open loop below is.",
		conns, conns, runtime.NumCPU(), conns)
}

// printOpen writes the open-loop table, in the shape docs/performance.md keeps.
func (r *report) printOpen(w io.Writer) {
	fmt.Fprintf(w, "### Latency at a steady offered load (open loop)\n\n")
	if len(r.open) == 0 {
		fmt.Fprintf(w, "Not run (-skip-open).\n\n")
		return
	}
	fmt.Fprintf(w, "Each endpoint is offered 25%%, 50%% and 75%% of the baseline's closed-loop req/s above, %d rounds at each rate alternating app and baseline, %s each, "+
		"by a paced Go sender (bench/load.Paced): request i is due at start + i/rate and leaves then, whatever answers are outstanding (up to %d in flight). "+
		"Latency counts from the due time, so a held-up sender hides no queueing. p50 and p99 are the median round's (by p99), max the worst round's; "+
		"the counts add up every round. Late: left more than 2 ms behind its due time; "+
		"the sender's timer wakes about once a millisecond, so up to ~1 ms of each latency is the sender's, for both servers alike.\n\n",
		r.opts.openRounds, r.opts.openDuration, r.opts.openCap)
	fmt.Fprintln(w, "| endpoint | offered | server | req/s offered | req/s sent | p50 | p99 | rounds: p99 ms | max | errors | late | unsent | p99 app/baseline |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|")
	for _, ep := range r.endpoints() {
		for _, share := range openShares() {
			a, b := r.findOpen(ep, "app", share), r.findOpen(ep, "baseline", share)
			for i, rs := range []openRate{a, b} {
				if len(rs) == 0 {
					continue
				}
				m, t := rs.median(), rs.total()
				ratio := ""
				if q := a.p99Ratio(b); i == 0 && q > 0 {
					ratio = fmt.Sprintf("**%.2f**", q)
				}
				fmt.Fprintf(w, "| %s | %.0f%% | %s | %.0f | %.0f | %s | %s | %s | %s | %d | %d | %d | %s |\n",
					ep, share*100, rs[0].server, t.Rate, t.SendRate(), ms(m.P50), ms(m.P99), rs.roundP99s(), ms(t.Max), t.Errors, t.Late, t.Unsent, ratio)
			}
		}
	}
	fmt.Fprintln(w)
}

// openChecks are the open loop's targets for endpoint: the app's p99 at
// half the baseline's capacity, absolute and against the baseline's at the
// same rate, and no failed or unsent request at any rate.
func (r *report) openChecks(endpoint string) []check {
	a, b := r.findOpen(endpoint, "app", targetOpenShare), r.findOpen(endpoint, "baseline", targetOpenShare)
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	am, bm, ratio := a.median(), b.median(), a.p99Ratio(b)
	cs := []check{{
		name: fmt.Sprintf("%s: app p99 at %.0f%% of the baseline's capacity (open loop, %.0f req/s; median of %d rounds)", endpoint, targetOpenShare*100, am.Rate, len(a)),
		value: fmt.Sprintf("%s (worst round %s; baseline %s, worst %s: %.2fx)",
			ms(am.P99), ms(a.worstP99()), ms(bm.P99), ms(b.worstP99()), ratio),
		target: fmt.Sprintf("≤ %s and ≤ %.1fx the baseline's", ms(targetOpenP99), targetOpenP99Ratio),
		ok:     am.P99 <= targetOpenP99 && bm.P99 > 0 && ratio <= targetOpenP99Ratio,
	}}
	var all openRate
	var sender time.Duration
	for _, o := range r.open {
		if o.endpoint == endpoint {
			all, sender = append(all, o), sender+o.senderCPU
		}
	}
	t := all.total()
	cs = append(cs,
		check{name: endpoint + ": open loop errors and unsent requests (app + baseline, every rate and round)", value: fmt.Sprintf("%d errors, %d unsent", t.Errors, t.Unsent), target: "0", ok: t.Errors == 0 && t.Unsent == 0},
		check{name: endpoint + ": open loop late sends (app + baseline, every rate and round)", value: fmt.Sprintf("%d of %d (send delay p99 ≤ %s)", t.Late, t.Sent, ms(t.SendDelayP99)), info: true},
	)
	if !r.inProcess && t.Sent > 0 {
		cs = append(cs, check{name: endpoint + ": open loop sender's own CPU per request (it shares the cores)", value: us(sender / time.Duration(t.Sent)), info: true})
	}
	return cs
}

// pgRemote reports whether Postgres' CPU could not be read in some round.
func (r *report) pgRemote() bool {
	for _, s := range r.series {
		if _, _, ok := s.cpuPerRequest(); !ok {
			return true
		}
	}
	return false
}
