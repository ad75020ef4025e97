package main

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"example.com/saas/bench/load"
)

// openShares are the open-loop phase's offered loads, as shares of the
// rate the baseline sustained in the closed loop of the same run: a ratio,
// so the phase asks the same of any machine.
func openShares() []float64 { return []float64{0.25, 0.5, 0.75} }

// openRun is one server's open-loop run at one offered rate.
type openRun struct {
	endpoint, server string
	share            float64
	load.PacedResult
}

func (r *report) findOpen(endpoint, server string, share float64) *openRun {
	for i := range r.open {
		o := &r.open[i]
		if o.endpoint == endpoint && o.server == server && o.share == share {
			return o
		}
	}
	return nil
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
	fmt.Fprintf(w, "Each endpoint is offered 25%%, 50%% and 75%% of the baseline's closed-loop req/s above, app then baseline at each rate, %s each, "+
		"by a paced Go sender (bench/load.Paced): request i is due at start + i/rate and leaves then, whatever answers are outstanding (up to %d in flight). "+
		"Latency counts from the due time, so a held-up sender hides no queueing. Late: left more than 2 ms behind its due time; "+
		"the sender's timer wakes about once a millisecond, so up to ~1 ms of each latency is the sender's, for both servers alike.\n\n",
		r.opts.openDuration, r.opts.openCap)
	fmt.Fprintln(w, "| endpoint | offered | server | req/s offered | req/s sent | p50 | p99 | max | errors | late | unsent | p99 app/baseline |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, ep := range r.endpoints() {
		for _, share := range openShares() {
			a, b := r.findOpen(ep, "app", share), r.findOpen(ep, "baseline", share)
			for _, o := range []*openRun{a, b} {
				if o == nil {
					continue
				}
				ratio := ""
				if o == a && b != nil && b.P99 > 0 {
					ratio = fmt.Sprintf("**%.2f**", float64(a.P99)/float64(b.P99))
				}
				fmt.Fprintf(w, "| %s | %.0f%% | %s | %.0f | %.0f | %s | %s | %s | %d | %d | %d | %s |\n",
					ep, share*100, o.server, o.Rate, o.SendRate(), ms(o.P50), ms(o.P99), ms(o.Max), o.Errors, o.Late, o.Unsent, ratio)
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
	if a == nil || b == nil {
		return nil
	}
	ratio := 0.0
	if b.P99 > 0 {
		ratio = float64(a.P99) / float64(b.P99)
	}
	cs := []check{{
		name:   fmt.Sprintf("%s: app p99 at %.0f%% of the baseline's capacity (open loop, %.0f req/s)", endpoint, targetOpenShare*100, a.Rate),
		value:  fmt.Sprintf("%s (baseline %s: %.2fx)", ms(a.P99), ms(b.P99), ratio),
		target: fmt.Sprintf("≤ %s and ≤ %.1fx the baseline's", ms(targetOpenP99), targetOpenP99Ratio),
		ok:     a.P99 <= targetOpenP99 && b.P99 > 0 && ratio <= targetOpenP99Ratio,
	}}
	var errs, unsent, late, sent int64
	var delay time.Duration
	for _, o := range r.open {
		if o.endpoint != endpoint {
			continue
		}
		errs, unsent, late, sent = errs+o.Errors, unsent+o.Unsent, late+o.Late, sent+o.Sent
		delay = max(delay, o.SendDelayP99)
	}
	cs = append(cs,
		check{name: endpoint + ": open loop errors and unsent requests (app + baseline, every rate)", value: fmt.Sprintf("%d errors, %d unsent", errs, unsent), target: "0", ok: errs == 0 && unsent == 0},
		check{name: endpoint + ": open loop late sends (app + baseline, every rate)", value: fmt.Sprintf("%d of %d (send delay p99 ≤ %s)", late, sent, ms(delay)), info: true},
	)
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
