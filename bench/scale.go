package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/saas/bench/load"
	"example.com/saas/internal/paths"
	"example.com/saas/internal/stack"
)

// runScale compares the tenant list in a database of one organization with
// the same list in a database of many (docs/performance.md, Budget: within 20%),
// each served by its own app process, measured alternately.
func runScale(ctx context.Context, o options) error {
	if o.profiling() {
		return errors.New("-scale runs two app processes: profile the budget run instead")
	}
	startLoad := loadAvg()
	e, err := setup(ctx, o, false)
	if err != nil {
		return err
	}
	defer e.close()
	oneDB, err := e.database(ctx, o, "bench_one")
	if err != nil {
		return err
	}
	manyDB, err := e.database(ctx, o, "bench_scale")
	if err != nil {
		return err
	}
	one, many := oneDB.URL, manyDB.URL
	step(fmt.Sprintf("generating 1 organization x %d projects", o.scaleProjects))
	if _, err := seedScale(ctx, one, 1, o.scaleProjects); err != nil {
		return err
	}
	step(fmt.Sprintf("generating %d organizations x %d projects with generate_series", o.scaleOrgs, o.scaleProjects))
	genTime, err := seedScale(ctx, many, o.scaleOrgs, o.scaleProjects)
	if err != nil {
		return err
	}

	emu, err := startEmulator(ctx, "") // rows are written with SQL: no webhooks
	if err != nil {
		return err
	}
	defer emu.Close()
	step("starting two apps: one organization, many organizations")
	appOne, err := e.startApp(ctx, o, emu, one, "app-one")
	if err != nil {
		return err
	}
	defer appOne.stop()
	appMany, err := e.startApp(ctx, o, emu, many, "app-scale")
	if err != nil {
		return err
	}
	defer appMany.stop()

	tok, iat, err := mintToken(ctx, emu, time.Hour)
	if err != nil {
		return err
	}
	creds := credentials{token: tok, iat: iat}
	pagePath, apiPath := paths.Projects(benchSlug), paths.APIProjects
	type tcase struct {
		name string
		srv  *server
		page http.Header
	}
	cases := []*tcase{{name: "1 organization", srv: appOne}, {name: fmt.Sprintf("%d organizations", o.scaleOrgs), srv: appMany}}
	for _, c := range cases {
		h, body, err := pageHeader(ctx, c.srv.url, pagePath, creds)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if err := checkPage(body, listSize); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		c.page = h
	}

	plans := map[string]string{}
	for _, c := range []struct{ name, url string }{{cases[0].name, one}, {cases[1].name, many}} {
		p, err := explainList(ctx, c.url)
		if err != nil {
			return err
		}
		plans[c.name] = p
	}

	type row struct {
		endpoint string
		conns    int
		results  map[string][]round
	}
	var rows []*row
	runs := []struct {
		endpoint string
		path     string
		conns    int
		header   func(*tcase) http.Header
	}{
		{"page " + pagePath, pagePath, o.Connections, func(c *tcase) http.Header { return c.page }},
		{"API GET " + apiPath, apiPath, o.Connections, func(*tcase) http.Header { return apiHeader(creds) }},
		{"API GET " + apiPath + ", serial", apiPath, 1, func(*tcase) http.Header { return apiHeader(creds) }},
	}
	for _, run := range runs {
		rw := &row{endpoint: run.endpoint, conns: run.conns, results: map[string][]round{}}
		rows = append(rows, rw)
		opts := load.Options{Connections: run.conns, Duration: o.Duration, Threads: min(o.threads, run.conns)}
		if o.Warmup > 0 {
			for _, c := range cases {
				wo := opts
				wo.Duration = o.Warmup
				if _, err := e.gen.Run(ctx, load.Target{URL: c.srv.url + run.path, Header: run.header(c)}, wo); err != nil {
					return err
				}
			}
		}
		for r := range o.rounds {
			for _, c := range cases {
				step(fmt.Sprintf("%s, %d connections: %s, round %d/%d", run.endpoint, run.conns, c.name, r+1, o.rounds))
				res, err := e.gen.Run(ctx, load.Target{URL: c.srv.url + run.path, Header: run.header(c)}, opts)
				if err != nil {
					return err
				}
				rw.results[c.name] = append(rw.results[c.name], round{Result: res})
			}
		}
	}

	w := os.Stdout
	fmt.Fprintf(w, "\n## Scale (%s)\n\n%s PostgreSQL %s on the same machine. Load average before the run: %s.\n\n",
		time.Now().Format("2006-01-02 15:04"), machine(), postgresVersion(ctx, e.admin), startLoad)
	fmt.Fprintf(w, "Data: %d organizations x %d projects (%d rows) generated in %s; the other database has 1 x %d. Load: %s, %s per run, %d rounds alternating.\n\n",
		o.scaleOrgs, o.scaleProjects, o.scaleOrgs*o.scaleProjects, genTime.Round(time.Millisecond), o.scaleProjects, e.gen.Name(), o.Duration, o.rounds)
	fmt.Fprintln(w, "| endpoint | connections | data | req/s | p50 | p99 | errors | p50 many/one |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|---:|")
	var missed []string
	for _, rw := range rows {
		s1 := series{rounds: rw.results[cases[0].name]}
		s2 := series{rounds: rw.results[cases[1].name]}
		ratio := float64(s2.p50()) / float64(s1.p50())
		for i, s := range []series{s1, s2} {
			cell := ""
			if i == 1 {
				cell = fmt.Sprintf("**%.2f**", ratio)
			}
			fmt.Fprintf(w, "| %s | %d | %s | %.0f | %s | %s | %d | %s |\n", rw.endpoint, rw.conns, cases[i].name, s.rps(), ms(s.p50()), ms(s.p99()), s.errors(), cell)
			if s.errors() > 0 {
				missed = append(missed, fmt.Sprintf("%s (%s): %d errors", rw.endpoint, cases[i].name, s.errors()))
			}
		}
		if ratio > targetScaleRatio {
			missed = append(missed, fmt.Sprintf("%s: p50 with %d organizations is %.2fx the 1-organization case (target ≤ %.1f)", rw.endpoint, o.scaleOrgs, ratio, targetScaleRatio))
		}
	}
	fmt.Fprintln(w, "\nPlan of the tenant list query (EXPLAIN ANALYZE as the tenant role, row-level security on):")
	for _, c := range cases {
		fmt.Fprintf(w, "- %s: %s\n", c.name, plans[c.name])
	}
	if len(missed) > 0 {
		return errors.New("scale targets missed: " + joinLines(missed))
	}
	return nil
}

// seedScale writes orgs organizations (the first is the bench organization,
// whose admin is the bench user) with perOrg projects each, interleaved on
// disk as real tenants' rows would be, then ANALYZEs.
func seedScale(ctx context.Context, dbURL string, orgs, perOrg int) (time.Duration, error) {
	t0 := time.Now()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	perms := []string{"org:projects:read", "org:projects:manage", "org:sys_memberships:read"}
	stmts := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO users (id, email, first_name, last_name)
SELECT CASE WHEN g = 1 THEN $1 ELSE 'user_s' || g END, CASE WHEN g = 1 THEN $2 ELSE 'user' || g || '@example.com' END, 'User', g::text
FROM generate_series(1, $3::int) g`, []any{benchUserID, benchEmail, orgs}},
		{`INSERT INTO organizations (id, name, slug)
SELECT CASE WHEN g = 1 THEN $1 ELSE 'org_s' || g END, CASE WHEN g = 1 THEN 'Bench Co' ELSE 'Org ' || g END, CASE WHEN g = 1 THEN $2 ELSE 'org-' || g END
FROM generate_series(1, $3::int) g`, []any{benchOrgID, benchSlug, orgs}},
		{`INSERT INTO memberships (id, organization_id, user_id, role, permissions)
SELECT 'mem_s' || g, CASE WHEN g = 1 THEN $1 ELSE 'org_s' || g END, CASE WHEN g = 1 THEN $2 ELSE 'user_s' || g END, 'org:admin', $3
FROM generate_series(1, $4::int) g`, []any{benchOrgID, benchUserID, perms, orgs}},
		// p outer, o inner: each organization's rows are spread over the
		// table, the worst case for reading one tenant's page.
		{`INSERT INTO projects (organization_id, name, description, status, created_at, updated_at)
SELECT CASE WHEN o = 1 THEN $1 ELSE 'org_s' || o END, format('Project %s', lpad(p::text, 3, '0')),
       format('Sample project %s: planning, tasks and the notes a team keeps while shipping it.', p),
       CASE WHEN p % 4 = 0 THEN 'archived' ELSE 'active' END,
       now() - make_interval(hours => p, secs => o), now()
FROM generate_series(1, $2::int) p, generate_series(1, $3::int) o
ORDER BY p, o`, []any{benchOrgID, perOrg, orgs}},
		{`ANALYZE`, nil},
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s.sql, s.args...); err != nil {
			return 0, fmt.Errorf("generate data: %w", err)
		}
	}
	return time.Since(t0), nil
}

// explainList runs the tenant list query as the app does (tenant role,
// app.current_org_id set, row-level security on) under EXPLAIN ANALYZE and
// summarizes the plan.
func explainList(ctx context.Context, dbURL string) (string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT set_config('role', $1, true), set_config('app.current_org_id', $2, true)`, stack.TenantRole, benchOrgID); err != nil {
		return "", err
	}
	var raw []byte
	err = tx.QueryRow(ctx, `EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM projects WHERE projects.organization_id = $1
ORDER BY created_at DESC, id DESC LIMIT 21`, benchOrgID).Scan(&raw)
	if err != nil {
		return "", fmt.Errorf("explain: %w", err)
	}
	var plans []struct {
		Plan          planNode `json:"Plan"`
		ExecutionTime float64  `json:"Execution Time"`
	}
	if err := json.Unmarshal(raw, &plans); err != nil || len(plans) == 0 {
		return "", fmt.Errorf("explain output: %v", err)
	}
	scan := plans[0].Plan.find(func(n *planNode) bool { return n.RelationName == "projects" })
	desc := "no scan of projects?"
	if scan != nil {
		desc = scan.NodeType
		if scan.IndexName != "" {
			desc += " using " + scan.IndexName
		}
	}
	return fmt.Sprintf("%s, %.3f ms execution", desc, plans[0].ExecutionTime), nil
}

// planNode is a node of EXPLAIN (FORMAT JSON).
type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	Plans        []planNode `json:"Plans"`
}

func (n *planNode) find(match func(*planNode) bool) *planNode {
	if match(n) {
		return n
	}
	for i := range n.Plans {
		if m := n.Plans[i].find(match); m != nil {
			return m
		}
	}
	return nil
}
