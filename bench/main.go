// Command bench measures the app against a bare Go baseline in the same run
// (docs/performance.md, Budget) and prints the table docs/performance.md keeps:
//
//	go run ./bench                 # the budget run (about 2 minutes)
//	go run ./bench -duration 3s    # a quicker one
//	go run ./bench -skip-open      # without the open-loop phase (constant arrival rate)
//	go run ./bench -scale          # 10,000 organizations x 100 projects vs 1
//	go run ./bench -cpuprofile app.prof   # the app in-process, profiled under load
//
// It starts Postgres as `make run` does (DATABASE_URL, else the local
// cluster) with a fresh database it drops at the end, the Clerk emulator in
// this process, and the app and the baseline (bench/baseline) as separate
// processes built with go build, so start-up time and RSS are their own.
// Closed-loop load comes from wrk when it is installed (it rounds -duration
// up to whole seconds), else from a Go generator; the open-loop phase, at
// 25, 50 and 75% of the baseline's closed-loop req/s, from bench/load.Paced.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"example.com/saas/internal/stack"
)

type options struct {
	stack.LoadFlags
	rounds         int
	threads        int
	loadgen        string
	webhookEvents  int
	webhookRounds  int
	webhookWorkers int
	pool           int
	appEnv         envFlag
	baselineConns  int
	scale          bool
	scaleOrgs      int
	scaleProjects  int
	openDuration   time.Duration
	openRounds     int
	openCap        int
	skipOpen       bool
	cpuProfile     string
	memProfile     string
}

func main() {
	o := options{LoadFlags: stack.LoadFlags{Duration: 4 * time.Second, Warmup: 2 * time.Second, Connections: 64}}
	o.LoadFlags.Register(flag.CommandLine)
	flag.IntVar(&o.rounds, "rounds", 5, "measured rounds per server and endpoint, alternating app and baseline (A B A B …)")
	flag.IntVar(&o.threads, "threads", runtime.NumCPU(), "wrk threads")
	flag.StringVar(&o.loadgen, "loadgen", "auto", "load generator: wrk, go, or auto (wrk when installed)")
	flag.IntVar(&o.webhookEvents, "webhook-events", 10000, "webhook deliveries to post (half are duplicates)")
	flag.IntVar(&o.webhookRounds, "webhook-rounds", 3, "webhook ingestion rounds per server, alternating app and baseline")
	flag.IntVar(&o.webhookWorkers, "webhook-workers", 16, "concurrent webhook senders")
	flag.IntVar(&o.pool, "pool", max(4*runtime.NumCPU(), 4), "the app's DB_MAX_CONNS, by default the app's own default (its MAX_IN_FLIGHT follows: pool + 1 per CPU)")
	flag.Var(&o.appEnv, "app-env", "extra app setting KEY=VALUE, repeatable (MAX_IN_FLIGHT=0, GOGC=100, …)")
	flag.IntVar(&o.baselineConns, "baseline-conns", 0, "the baseline's pgxpool size (0: the app's -pool)")
	flag.DurationVar(&o.openDuration, "open-duration", 5*time.Second, "open-loop phase: how long each server is offered each rate (25, 50, 75% of the baseline's closed-loop req/s)")
	flag.IntVar(&o.openRounds, "open-rounds", 3, "open-loop phase: rounds at each rate, alternating app and baseline; the target reads the median round's p99")
	flag.IntVar(&o.openCap, "open-cap", 1024, "open-loop phase: most requests in flight at once (a request due while all are busy waits, and counts as late)")
	flag.BoolVar(&o.skipOpen, "skip-open", false, "skip the open-loop phase")
	flag.BoolVar(&o.scale, "scale", false, "run the scale comparison instead: many organizations vs one")
	flag.IntVar(&o.scaleOrgs, "scale-orgs", 10000, "organizations in the scale run")
	flag.IntVar(&o.scaleProjects, "scale-projects", 100, "projects per organization in the scale run")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "run the app in this process and write a CPU profile of its load phases here")
	flag.StringVar(&o.memProfile, "memprofile", "", "run the app in this process and write an allocation profile here after the load phases")
	flag.Parse()
	if o.baselineConns <= 0 {
		o.baselineConns = o.pool
	}
	if o.openDuration <= 0 || o.openRounds <= 0 {
		o.skipOpen = true
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if o.scale {
		err = runScale(ctx, o)
	} else {
		err = runBudget(ctx, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// envFlag collects -app-env KEY=VALUE settings.
type envFlag []string

func (e *envFlag) String() string { return strings.Join(*e, " ") }

func (e *envFlag) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	*e = append(*e, v)
	return nil
}

func step(msg string) { fmt.Fprintf(os.Stderr, "bench: %s\n", msg) }
