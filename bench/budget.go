package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"example.com/saas/bench/load"
	"example.com/saas/internal/devpg"
	"example.com/saas/internal/paths"
	"example.com/saas/internal/stack"
)

// runBudget is the default mode: the section 10 budget.
func runBudget(ctx context.Context, o options) error {
	e, err := setup(ctx, o, true)
	if err != nil {
		return err
	}
	defer e.close()
	rep := &report{opts: o, tool: e.gen.Name(), pg: postgresVersion(ctx, e.admin), load: loadAvg()}
	db, err := e.database(ctx, o, "bench")
	if err != nil {
		return err
	}
	dbURL := db.URL

	// The emulator delivers webhooks to the app's port, known before it starts.
	port, err := devpg.FreePort()
	if err != nil {
		return err
	}
	emu, err := startEmulator(ctx, stack.BaseURL(port))
	if err != nil {
		return err
	}
	defer emu.Close()

	// Start-up: three starts of the app with migrations current; the last
	// one stays up. The first start applies nothing (migrated above).
	step("starting the app (3 times, for start-up time)")
	vars := o.appVars(emu, dbURL, port)
	appURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	var appSrv *server
	for i := range 3 {
		if appSrv, err = e.runApp(ctx, o, vars, fmt.Sprintf("app-%d", i)); err != nil {
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
	tok, iat, err := mintToken(ctx, emu, time.Hour)
	if err != nil {
		return fmt.Errorf("mint session token: %w", err)
	}
	creds := credentials{token: tok, iat: iat}

	pagePath := paths.Projects(benchSlug)
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
	for _, w := range []struct {
		what, path string
		h          http.Header
	}{{"page", pagePath, appPageHdr}, {"API", apiPath, apiHdr}} {
		for _, enc := range []string{"gzip", "zstd"} {
			n, got, err := wireBytes(ctx, appURL, w.path, w.h, enc)
			if err != nil {
				return fmt.Errorf("app %s on the wire: %w", w.what, err)
			}
			rep.wire = append(rep.wire, fmt.Sprintf("%s %d bytes as %s", w.what, n, orNone(got)))
		}
	}

	// Load: no Backend API call may happen from here on.
	emu.ResetStats()
	dbName := db.Name
	lo := load.Options{Connections: o.Connections, Duration: o.Duration, Threads: o.threads}
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
	pgm, err := newPGMeter(ctx, e.admin, dbName)
	if err != nil {
		return err
	}
	defer pgm.close()
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
		if o.Warmup > 0 {
			step("warming up " + ep.name)
			if err := refresh(); err != nil {
				return err
			}
			for _, t := range targets {
				if _, err := e.gen.Run(ctx, t.t, load.Options{Connections: o.Connections, Duration: o.Warmup, Threads: o.threads}); err != nil {
					return err
				}
			}
		}
		for r := range o.rounds {
			if err := refresh(); err != nil {
				return err
			}
			for _, t := range targets {
				step(fmt.Sprintf("%s: %s, round %d/%d (%s)", ep.name, t.server, r+1, o.rounds, o.Duration))
				pid := appSrv.pid
				if t.server == "baseline" {
					pid = base.pid
				}
				pg0, err := pgm.snapshot(ctx)
				if err != nil {
					return err
				}
				cpu0 := processCPU(pid)
				res, err := e.gen.Run(ctx, t.t, lo)
				if err != nil {
					return err
				}
				cpu := processCPU(pid) - cpu0
				pg1, err := pgm.snapshot(ctx)
				if err != nil {
					return err
				}
				rep.add(ep.name, t.server, round{Result: res, serverCPU: cpu, pgCPU: pg1.since(pg0), pgRemote: pg0.remote() || pg1.remote()})
			}
		}
		if o.skipOpen {
			continue
		}
		// Open loop: the same endpoint at fixed shares of the rate the
		// baseline just sustained in the closed loop, app and baseline
		// alternating at each rate, round after round (A B A B …), so a
		// stall of the shared machine lands in one round of one server.
		capacity := rep.find(ep.name, "baseline").rps()
		for _, share := range openShares() {
			for r := range o.openRounds {
				if err := refresh(); err != nil {
					return err
				}
				for _, t := range targets {
					po := load.PacedOptions{Rate: share * capacity, Duration: o.openDuration, MaxInFlight: o.openCap}
					step(fmt.Sprintf("%s: %s, open loop at %.0f%% of the baseline's capacity (%.0f req/s, %s), round %d/%d", ep.name, t.server, share*100, po.Rate, o.openDuration, r+1, o.openRounds))
					cpu0 := processCPU(os.Getpid())
					res, err := load.Paced(ctx, t.t, po)
					if err != nil {
						return fmt.Errorf("%s, %s, open loop at %.0f req/s: %w", ep.name, t.server, po.Rate, err)
					}
					sender := processCPU(os.Getpid()) - cpu0
					rep.open = append(rep.open, openRun{endpoint: ep.name, server: t.server, share: share, PacedResult: res, senderCPU: sender})
				}
			}
		}
	}
	rep.appPeakKB, rep.basePeakKB = appPeak.Stop(), basePeak.Stop()
	rep.loadBAPI = emu.Stats()
	// After load, the app must still serve the page (no token expiry, no error state).
	if b, err := fetch(ctx, appURL, pagePath, appPageHdr); err != nil {
		return fmt.Errorf("app page after load: %w", err)
	} else if err := checkPage(b, listSize); err != nil {
		return err
	}

	// Webhook ingestion, app and baseline alternating, as the load rounds.
	hooks := []struct {
		what string
		t    webhookTarget
		dest *webhookSeries
	}{
		{"app", webhookTarget{url: appURL, pid: appSrv.pid, pgm: pgm}, &rep.webhooks},
		{"baseline (verify, one INSERT … ON CONFLICT)", webhookTarget{url: base.url, pid: base.pid, pgm: pgm}, &rep.baseWebhooks},
	}
	for r := range o.webhookRounds {
		for _, h := range hooks {
			step(fmt.Sprintf("webhook ingestion, %s, round %d/%d: %d deliveries, %d senders, 50%% duplicates", h.what, r+1, o.webhookRounds, o.webhookEvents, o.webhookWorkers))
			wr, err := ingestWebhooks(ctx, h.t, emu.WebhookSecret(), dbURL, o.webhookEvents, o.webhookWorkers)
			if err != nil {
				return err
			}
			*h.dest = append(*h.dest, wr)
		}
	}
	if err := stopProfile(); err != nil {
		return err
	}
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
