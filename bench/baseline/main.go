// Command baseline is the bare reference server of `make bench`
// (docs/performance.md, Budget): net/http, pgx (pgxpool) and html/template doing
// what the app's project list does — verify the Clerk session token with
// clerk-sdk-go's jwt.Verify and a cached JWK, read 20 projects of the
// token's active organization, render — and nothing else: no middleware, no
// membership or revocation lookup, no transaction, no row-level security.
//
// The harness (go run ./bench) builds and starts it; settings come from the
// environment:
//
//	BASELINE_ADDR           listen address (default 127.0.0.1:0; the address is printed)
//	DATABASE_URL            the app's database
//	CLERK_API_URL           Backend API base, for the one JWKS fetch at start-up
//	CLERK_SECRET_KEY        Backend API key
//	CLERK_FRONTEND_API_URL  the exact token issuer (jwt.VerifyParams.ProxyURL)
//	BASELINE_MAX_CONNS      pgxpool size (default 24, the app's pool size)
//	BASELINE_PAD_BYTES      static filler added to each page, so its HTML is
//	                        as large as the app's
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/clerk/clerk-sdk-go/v2/jwt"
	josejwt "github.com/go-jose/go-jose/v3/jwt"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	svix "github.com/svix/svix-webhooks/go"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		log.Fatalf("baseline: %v", err)
	}
}

func run(ctx context.Context) error {
	pcfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	pcfg.MaxConns = int32(envInt("BASELINE_MAX_CONNS", 24))
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	keys, err := fetchKeys(ctx)
	if err != nil {
		return err
	}
	wh, err := svix.NewWebhook(os.Getenv("CLERK_WEBHOOK_SECRET"))
	if err != nil {
		return fmt.Errorf("CLERK_WEBHOOK_SECRET: %w", err)
	}
	s := &server{
		pool:   pool,
		wh:     wh,
		keys:   keys,
		issuer: os.Getenv("CLERK_FRONTEND_API_URL"),
		pad:    template.HTML("<div hidden>" + strings.Repeat("x", envInt("BASELINE_PAD_BYTES", 0)) + "</div>"),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("GET /orgs/{slug}/projects", s.page)
	mux.HandleFunc("GET /api/v1/projects", s.api)
	mux.HandleFunc("POST /webhooks/clerk", s.webhook)

	addr := os.Getenv("BASELINE_ADDR")
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// fetchKeys loads the instance's JWKS once; tokens are then verified
// without a network call, as the app does.
func fetchKeys(ctx context.Context) (map[string]*clerk.JSONWebKey, error) {
	cc := &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		Key: clerk.String(os.Getenv("CLERK_SECRET_KEY")),
		URL: clerk.String(os.Getenv("CLERK_API_URL")),
	}}
	set, err := jwks.NewClient(cc).Get(ctx, &jwks.GetParams{})
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	keys := map[string]*clerk.JSONWebKey{}
	for _, k := range set.Keys {
		keys[k.KeyID] = k
	}
	return keys, nil
}

type server struct {
	pool   *pgxpool.Pool
	wh     *svix.Webhook
	keys   map[string]*clerk.JSONWebKey
	issuer string
	pad    template.HTML
}

// project is a row of the list, the columns the app selects: what the
// page shows (listItem) and what the API adds. encoding/json writes
// listItem's fields in its place, so the keys come in the app's order.
type project struct {
	OrganizationID string `json:"organization_id"`
	listItem
	CreatedBy *string   `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// verify checks the token as the app does (signature, issuer, times with a
// 5 s leeway) and returns its active organization.
func (s *server) verify(ctx context.Context, token string) (string, error) {
	if token == "" {
		return "", errors.New("no token")
	}
	kid, err := kidOf(token)
	if err != nil {
		return "", err
	}
	key := s.keys[kid]
	if key == nil {
		return "", errors.New("unknown kid")
	}
	claims, err := jwt.Verify(ctx, &jwt.VerifyParams{Token: token, JWK: key, Leeway: 5 * time.Second, ProxyURL: clerk.String(s.issuer)})
	if err != nil {
		return "", err
	}
	if claims.ActiveOrganizationID == "" {
		return "", errors.New("no active organization")
	}
	return claims.ActiveOrganizationID, nil
}

// kidOf reads the key id from the token's header, as the app's verifier does.
func kidOf(token string) (string, error) {
	parsed, err := josejwt.ParseSigned(token)
	if err != nil || len(parsed.Headers) == 0 {
		return "", errors.New("malformed token")
	}
	return parsed.Headers[0].KeyID, nil
}

const listSQL = `SELECT organization_id, id, name, description, status, created_by, created_at, updated_at
FROM projects WHERE organization_id = $1 ORDER BY created_at DESC, id DESC LIMIT 21`

func (s *server) list(ctx context.Context, orgID string) ([]project, error) {
	rows, err := s.pool.Query(ctx, listSQL, orgID)
	if err != nil {
		return nil, err
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (project, error) {
		var p project
		err := row.Scan(&p.OrganizationID, &p.ID, &p.Name, &p.Description, &p.Status, &p.CreatedBy, &p.CreatedAt, &p.UpdatedAt)
		return p, err
	})
	if len(ps) > 20 {
		ps = ps[:20]
	}
	return ps, err
}

// listItem is what the page shows of a project.
type listItem struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Projects · SaaS Starter</title><link rel="stylesheet" href="/static/css/app.css"></head>
<body class="min-h-screen bg-slate-50 text-slate-900">
<header class="border-b"><nav aria-label="Main"><a href="/">SaaS Starter</a> <a href="/orgs/{{.Slug}}">{{.Slug}}</a></nav></header>
<main class="mx-auto max-w-5xl px-4 py-6"><h1 class="text-2xl font-semibold">Projects</h1>
<form method="get" action="/orgs/{{.Slug}}/projects" role="search"><label for="q" class="sr-only">Search projects</label>
<input type="search" id="q" name="q" placeholder="Search projects"><button type="submit">Search</button></form>
<ul class="divide-y rounded-lg border" data-testid="project-list">
{{range .Projects}}<li data-testid="project-item"><a href="/orgs/{{$.Slug}}/projects/{{.ID}}" class="block px-4 py-3">
<span class="flex items-center justify-between gap-2"><span class="font-medium">{{.Name}}</span>
{{if eq .Status "archived"}}<span class="rounded-full text-xs">Archived</span>{{else}}<span class="rounded-full text-xs">Active</span>{{end}}</span>
{{if .Description}}<span class="mt-1 block truncate text-sm">{{.Description}}</span>{{end}}</a></li>
{{end}}</ul></main>{{.Pad}}</body></html>
`))

// page answers the HTML list; the token is the __session cookie (or Bearer).
func (s *server) page(w http.ResponseWriter, r *http.Request) {
	token := bearer(r)
	if c, err := r.Cookie("__session"); err == nil && token == "" {
		token = c.Value
	}
	orgID, err := s.verify(r.Context(), token)
	if err != nil {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	ps, err := s.list(r.Context(), orgID)
	if err != nil {
		http.Error(w, "database error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	pageTmpl.Execute(w, struct {
		Slug     string
		Projects []project
		Pad      template.HTML
	}{r.PathValue("slug"), ps, s.pad})
}

// api answers the JSON list in the app's envelope.
func (s *server) api(w http.ResponseWriter, r *http.Request) {
	orgID, err := s.verify(r.Context(), bearer(r))
	if err != nil {
		http.Error(w, `{"error":{"code":"unauthorized"}}`, http.StatusUnauthorized)
		return
	}
	ps, err := s.list(r.Context(), orgID)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"data": ps, "next_cursor": nil})
}

// webhook is the bare ingestion the app's is compared with: the Svix
// signature checked, then the event recorded with one INSERT … ON CONFLICT
// on the same table the app deduplicates with (and nothing applied).
func (s *server) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if err := s.wh.Verify(body, r.Header); err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.Type == "" {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	_, err = s.pool.Exec(r.Context(), `INSERT INTO webhook_events (svix_id, type) VALUES ($1, $2) ON CONFLICT (svix_id) DO NOTHING`,
		r.Header.Get("svix-id"), ev.Type)
	if err != nil {
		http.Error(w, "insert", http.StatusInternalServerError)
		return
	}
	w.Write([]byte(`{"ok":true}`))
}

func bearer(r *http.Request) string {
	t, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return t
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}
