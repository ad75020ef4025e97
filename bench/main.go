// Command bench measures the app against a bare Go baseline in the same run
// (docs/performance.md, Budget) and prints the table docs/performance.md keeps:
//
//	go run ./bench                 # the budget run (about 2 minutes)
//	go run ./bench -duration 3s    # a quicker one
//	go run ./bench -scale          # 10,000 organizations x 100 projects vs 1
//	go run ./bench -cpuprofile app.prof   # the app in-process, profiled under load
//
// It starts Postgres as `make run` does (DATABASE_URL, else the local
// cluster) with a fresh database it drops at the end, the Clerk emulator in
// this process, and the app and the baseline (bench/baseline) as separate
// processes built with go build, so start-up time and RSS are their own.
// Load comes from wrk when it is installed, else from a Go generator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"example.com/saas/bench/load"
	"example.com/saas/internal/devpg"
)

type options struct {
	duration, warmup time.Duration
	rounds           int
	connections      int
	threads          int
	loadgen          string
	webhookEvents    int
	webhookWorkers   int
	pool             int
	appEnv           envFlag
	baselineConns    int
	scale            bool
	scaleOrgs        int
	scaleProjects    int
	cpuProfile       string
	memProfile       string
	keep             bool
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 4*time.Second, "length of each measured load run (wrk rounds up to whole seconds)")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before each endpoint's first round")
	flag.IntVar(&o.rounds, "rounds", 5, "measured rounds per server and endpoint, alternating app and baseline (A B A B …)")
	flag.IntVar(&o.connections, "connections", 64, "concurrent connections")
	flag.IntVar(&o.threads, "threads", runtime.NumCPU(), "wrk threads")
	flag.StringVar(&o.loadgen, "loadgen", "auto", "load generator: wrk, go, or auto (wrk when installed)")
	flag.IntVar(&o.webhookEvents, "webhook-events", 10000, "webhook deliveries to post (half are duplicates)")
	flag.IntVar(&o.webhookWorkers, "webhook-workers", 16, "concurrent webhook senders")
	flag.IntVar(&o.pool, "pool", 2*runtime.NumCPU(), "the app's DB_MAX_CONNS (its MAX_IN_FLIGHT follows: pool + 1 per CPU); Postgres shares these CPUs")
	flag.Var(&o.appEnv, "app-env", "extra app setting KEY=VALUE, repeatable (MAX_IN_FLIGHT=0, GOGC=100, …)")
	flag.IntVar(&o.baselineConns, "baseline-conns", 0, "the baseline's pgxpool size (0: the app's -pool)")
	flag.BoolVar(&o.scale, "scale", false, "run the scale comparison instead: many organizations vs one")
	flag.IntVar(&o.scaleOrgs, "scale-orgs", 10000, "organizations in the scale run")
	flag.IntVar(&o.scaleProjects, "scale-projects", 100, "projects per organization in the scale run")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "run the app in this process and write a CPU profile of its load phases here")
	flag.StringVar(&o.memProfile, "memprofile", "", "run the app in this process and write an allocation profile here after the load phases")
	flag.BoolVar(&o.keep, "keep", false, "keep the database and the work directory (logs) for inspection")
	flag.Parse()
	if o.baselineConns <= 0 {
		o.baselineConns = o.pool
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

// env is what both modes set up: Postgres, a work directory, binaries.
type env struct {
	root, work, admin string
	appBin, baseBin   string
	gen               load.Generator
	cleanup           []func()
}

func (e *env) close() {
	for i := len(e.cleanup) - 1; i >= 0; i-- {
		e.cleanup[i]()
	}
}

func setup(ctx context.Context, o options, needBaseline bool) (*env, error) {
	e := &env{}
	var err error
	if e.gen, err = load.Pick(o.loadgen); err != nil {
		return nil, err
	}
	if e.root, err = devpg.RepoRoot(); err != nil {
		return nil, err
	}
	if e.work, err = os.MkdirTemp("", "saas-bench-"); err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Printf("work directory (logs): %s\n", e.work)
	} else {
		e.cleanup = append(e.cleanup, func() { os.RemoveAll(e.work) })
	}
	step("building the app and the baseline")
	if e.appBin, err = build(ctx, e.root, e.work, ".", "saas"); err != nil {
		e.close()
		return nil, err
	}
	if needBaseline {
		if e.baseBin, err = build(ctx, e.root, e.work, "./bench/baseline", "baseline"); err != nil {
			e.close()
			return nil, err
		}
	}
	step("starting Postgres")
	if e.admin, err = devpg.Server(ctx, os.Getenv("DATABASE_URL")); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *env) database(ctx context.Context, o options, prefix string) (string, error) {
	dbURL, drop, err := freshDatabase(ctx, e.admin, prefix)
	if err != nil {
		return "", err
	}
	if o.keep {
		fmt.Printf("database kept: %s\n", dbURL)
	} else {
		e.cleanup = append(e.cleanup, drop)
	}
	return dbURL, nil
}

// startApp starts the app against emu and dbURL, as a process (or in this
// process when profiling).
func (e *env) startApp(o options, emu *emulator, dbURL, name string) (*server, error) {
	port, err := devpg.FreePort()
	if err != nil {
		return nil, err
	}
	vars := o.appVars(emu, dbURL, port)
	logPath := filepath.Join(e.work, name+".log")
	if o.cpuProfile != "" || o.memProfile != "" {
		return startAppInProcess(vars, logPath)
	}
	return startProcess(name, e.appBin, vars, e.work, logPath, fmt.Sprintf("http://127.0.0.1:%d", port), "/readyz")
}

// startBaseline starts bench/baseline with padBytes of filler per page.
func (e *env) startBaseline(o options, emu *emulator, dbURL string, padBytes int) (*server, error) {
	port, err := devpg.FreePort()
	if err != nil {
		return nil, err
	}
	vars := map[string]string{
		"BASELINE_ADDR":          fmt.Sprintf("127.0.0.1:%d", port),
		"DATABASE_URL":           dbURL,
		"CLERK_API_URL":          emu.url + "/v1",
		"CLERK_SECRET_KEY":       emu.SecretKey(),
		"CLERK_FRONTEND_API_URL": emu.url,
		"BASELINE_MAX_CONNS":     fmt.Sprint(o.baselineConns),
		"BASELINE_PAD_BYTES":     fmt.Sprint(padBytes),
	}
	return startProcess("baseline", e.baseBin, vars, e.work, filepath.Join(e.work, "baseline.log"), fmt.Sprintf("http://127.0.0.1:%d", port), "/readyz")
}

// runBudget is the default mode: the section 10 budget.
func runBudget(ctx context.Context, o options) error {
	e, err := setup(ctx, o, true)
	if err != nil {
		return err
	}
	defer e.close()
	rep := &report{opts: o, tool: e.gen.Name(), pg: postgresVersion(ctx, e.admin), load: loadAvg()}
	dbURL, err := e.database(ctx, o, "bench")
	if err != nil {
		return err
	}

	// The emulator delivers webhooks to the app's port, known before it starts.
	port, err := devpg.FreePort()
	if err != nil {
		return err
	}
	emu, err := startEmulator(fmt.Sprintf("http://127.0.0.1:%d/webhooks/clerk", port))
	if err != nil {
		return err
	}
	defer emu.stop()

	// Start-up: three starts of the app with migrations current; the last
	// one stays up. The first start applies nothing (migrated above).
	step("starting the app (3 times, for start-up time)")
	vars := o.appVars(emu, dbURL, port)
	appURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	var appSrv *server
	for i := range 3 {
		if o.cpuProfile != "" || o.memProfile != "" {
			appSrv, err = startAppInProcess(vars, filepath.Join(e.work, "app.log"))
		} else {
			appSrv, err = startProcess("app", e.appBin, vars, e.work, filepath.Join(e.work, fmt.Sprintf("app-%d.log", i)), appURL, "/readyz")
		}
		if err != nil {
			return err
		}
		rep.startups = append(rep.startups, appSrv.startup)
		if i < 2 {
			if err := appSrv.stop(); err != nil {
				return fmt.Errorf("stop app: %w", err)
			}
		}
	}
	defer appSrv.stop()
	rep.inProcess = appSrv.inProcess
	time.Sleep(500 * time.Millisecond)
	rep.appIdleKB = procStatusKB(appSrv.pid, "VmRSS")

	step("seeding: webhooks from the emulator, 20 projects with SQL")
	emu.DeliverSeed()
	if err := waitSynced(ctx, dbURL); err != nil {
		return err
	}
	if err := seedProjects(ctx, dbURL, listSize); err != nil {
		return fmt.Errorf("seed projects: %w", err)
	}
	if err := settle(ctx, dbURL); err != nil {
		return err
	}
	tok, iat, err := emu.mintToken(ctx, time.Hour)
	if err != nil {
		return fmt.Errorf("mint session token: %w", err)
	}
	creds := credentials{token: tok, iat: iat}

	pagePath := "/orgs/" + benchSlug + "/projects"
	apiPath := "/api/v1/projects"
	appPageHdr, appPage, err := pageHeader(ctx, appURL, pagePath, creds)
	if err != nil {
		return fmt.Errorf("app page: %w", err)
	}
	if err := checkPage(appPage, listSize); err != nil {
		return fmt.Errorf("app: %w", err)
	}
	apiHdr := apiHeader(creds)
	if b, err := fetch(ctx, appURL, apiPath, apiHdr); err != nil {
		return fmt.Errorf("app API: %w", err)
	} else if err := checkAPI(b, listSize); err != nil {
		return fmt.Errorf("app: %w", err)
	}

	// The baseline's page is padded with static filler to the app's size:
	// the first start measures its own size.
	step("starting the baseline")
	base, err := e.startBaseline(o, emu, dbURL, 0)
	if err != nil {
		return err
	}
	basePageHdr := appPageHdr.Clone() // the baseline reads __session from the same cookies
	b, err := fetch(ctx, base.url, pagePath, basePageHdr)
	if err != nil {
		base.stop()
		return fmt.Errorf("baseline page: %w", err)
	}
	base.stop()
	pad := max(0, len(appPage)-len(b))
	if base, err = e.startBaseline(o, emu, dbURL, pad); err != nil {
		return err
	}
	defer base.stop()
	time.Sleep(300 * time.Millisecond)
	rep.baseIdleKB = procStatusKB(base.pid, "VmRSS")
	rep.baseStartup = base.startup
	basePage, err := fetch(ctx, base.url, pagePath, basePageHdr)
	if err != nil {
		return fmt.Errorf("baseline page: %w", err)
	}
	if err := checkPage(basePage, listSize); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	if b, err := fetch(ctx, base.url, apiPath, apiHdr); err != nil {
		return fmt.Errorf("baseline API: %w", err)
	} else if err := checkAPI(b, listSize); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	rep.appPageBytes, rep.basePageBytes = len(appPage), len(basePage)

	// Load: no Backend API call may happen from here on.
	emu.ResetStats()
	dbName := databaseName(dbURL)
	lo := load.Options{Connections: o.connections, Duration: o.duration, Threads: o.threads}
	endpoints := []struct {
		name       string
		path       string
		appH, base http.Header
	}{
		{"page " + pagePath + " (cookies)", pagePath, appPageHdr, basePageHdr},
		{"API GET " + apiPath + " (Bearer)", apiPath, apiHdr, apiHdr},
	}
	stopProfile, err := startProfile(o)
	if err != nil {
		return err
	}
	appPeak, basePeak := sampleRSS(appSrv.pid), sampleRSS(base.pid)
	for _, ep := range endpoints {
		targets := []struct {
			server string
			t      load.Target
		}{
			{"app", load.Target{URL: appURL + ep.path, Header: ep.appH}},
			{"baseline", load.Target{URL: base.url + ep.path, Header: ep.base}},
		}
		// Before each app run of the page, a fresh app session cookie, as a
		// browser holds one: the app rewrites it on every response once its
		// last verification is a minute old, which a client that never
		// stores it would pay on every request.
		refresh := func() error {
			if ep.path != pagePath {
				return nil
			}
			h, _, err := pageHeader(ctx, appURL, pagePath, creds)
			targets[0].t.Header = h
			return err
		}
		if o.warmup > 0 {
			step("warming up " + ep.name)
			if err := refresh(); err != nil {
				return err
			}
			for _, t := range targets {
				if _, err := e.gen.Run(ctx, t.t, load.Options{Connections: o.connections, Duration: o.warmup, Threads: o.threads}); err != nil {
					return err
				}
			}
		}
		for r := range o.rounds {
			if err := refresh(); err != nil {
				return err
			}
			for _, t := range targets {
				step(fmt.Sprintf("%s: %s, round %d/%d (%s)", ep.name, t.server, r+1, o.rounds, o.duration))
				pid := appSrv.pid
				if t.server == "baseline" {
					pid = base.pid
				}
				cpu0, pg0 := processCPU(pid), postgresCPU(dbName)
				res, err := e.gen.Run(ctx, t.t, lo)
				if err != nil {
					return err
				}
				rep.add(ep.name, t.server, round{Result: res, serverCPU: processCPU(pid) - cpu0, pgCPU: postgresCPU(dbName).since(pg0)})
			}
		}
	}
	rep.appPeakKB, rep.basePeakKB = appPeak.Stop(), basePeak.Stop()
	rep.loadBAPI = emu.Stats()
	if err := stopProfile(); err != nil {
		return err
	}
	// After load, the app must still serve the page (no token expiry, no error state).
	if b, err := fetch(ctx, appURL, pagePath, appPageHdr); err != nil {
		return fmt.Errorf("app page after load: %w", err)
	} else if err := checkPage(b, listSize); err != nil {
		return err
	}

	step(fmt.Sprintf("webhook ingestion: %d deliveries, %d senders, 50%% duplicates", o.webhookEvents, o.webhookWorkers))
	wr, err := ingestWebhooks(ctx, appURL, emu.WebhookSecret(), dbURL, o.webhookEvents, o.webhookWorkers)
	if err != nil {
		return err
	}
	rep.webhooks = wr
	rep.allBAPI = emu.Stats()
	time.Sleep(2 * time.Second)
	rep.appAfterKB = procStatusKB(appSrv.pid, "VmRSS")
	rep.appHWMKB = procStatusKB(appSrv.pid, "VmHWM")

	rep.print(os.Stdout)
	if failures := rep.failures(); len(failures) > 0 {
		return errors.New("targets missed: " + joinLines(failures))
	}
	return nil
}

// startProfile starts the CPU profile when asked; the returned function
// stops it and writes the allocation profile.
func startProfile(o options) (func() error, error) {
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		return func() error {
			pprof.StopCPUProfile()
			f.Close()
			fmt.Printf("CPU profile written to %s (go tool pprof -top %s)\n", o.cpuProfile, o.cpuProfile)
			return writeMemProfile(o)
		}, nil
	}
	return func() error { return writeMemProfile(o) }, nil
}

func writeMemProfile(o options) error {
	if o.memProfile == "" {
		return nil
	}
	f, err := os.Create(o.memProfile)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		return err
	}
	fmt.Printf("allocation profile written to %s (go tool pprof -sample_index=alloc_space -top %s)\n", o.memProfile, o.memProfile)
	return nil
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

// appVars is the app's environment: appEnv, then the -app-env settings.
func (o options) appVars(emu *emulator, dbURL string, port int) map[string]string {
	vars := appEnv(emu, dbURL, port, o.pool)
	for _, kv := range o.appEnv {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	return vars
}

func step(msg string) { fmt.Fprintf(os.Stderr, "bench: %s\n", msg) }
