package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	svix "github.com/svix/svix-webhooks/go"
)

// webhookResult is the ingestion phase's outcome.
type webhookResult struct {
	Deliveries int
	Unique     int
	Elapsed    time.Duration
	Failed     int64
	// Recorded is how many new processed-event rows the app wrote: it must
	// equal Unique (a duplicate is applied once).
	Recorded int64
	// ServerCPU and PGCPU are the CPU time the server and the database's
	// Postgres backends used meanwhile; PGRemote, that Postgres runs
	// elsewhere and its CPU could not be read.
	ServerCPU, PGCPU time.Duration
	PGRemote         bool
}

func (r webhookResult) PerSecond() float64 { return float64(r.Deliveries) / r.Elapsed.Seconds() }

// UniquePerSecond is the rate the targets are set in: a duplicate is not
// an event.
func (r webhookResult) UniquePerSecond() float64 { return float64(r.Unique) / r.Elapsed.Seconds() }

// add sums two rounds.
func (r webhookResult) add(o webhookResult) webhookResult {
	return webhookResult{
		Deliveries: r.Deliveries + o.Deliveries, Unique: r.Unique + o.Unique, Elapsed: r.Elapsed + o.Elapsed,
		Failed: r.Failed + o.Failed, Recorded: r.Recorded + o.Recorded,
		ServerCPU: r.ServerCPU + o.ServerCPU, PGCPU: r.PGCPU + o.PGCPU, PGRemote: r.PGRemote || o.PGRemote,
	}
}

// webhookSeries is one server's rounds of the ingestion phase.
type webhookSeries []webhookResult

func (s webhookSeries) total() webhookResult {
	var t webhookResult
	for _, r := range s {
		t = t.add(r)
	}
	return t
}

// cpuPerDelivery is the server's and Postgres's CPU time per delivery.
func (r webhookResult) cpuPerDelivery() (server, pg time.Duration) {
	if r.Deliveries == 0 {
		return 0, 0
	}
	return r.ServerCPU / time.Duration(r.Deliveries), r.PGCPU / time.Duration(r.Deliveries)
}

// webhookTarget is a server the ingestion phase posts to, and how its CPU
// time is read.
type webhookTarget struct {
	url string
	pid int
	pgm *pgMeter
}

// ingestWebhooks posts n Svix-signed user.updated deliveries to the app
// from workers concurrent senders; every message id is sent twice (Svix
// redeliveries: 50% duplicates), the second right behind the first.
func ingestWebhooks(ctx context.Context, t webhookTarget, secret, dbURL string, n, workers int) (webhookResult, error) {
	wh, err := svix.NewWebhook(secret)
	if err != nil {
		return webhookResult{}, err
	}
	type delivery struct {
		id, sig, ts string
		body        []byte
	}
	now := time.Now()
	run := now.UnixNano()
	ds := make([]delivery, n)
	for i := range ds {
		msg := i / 2
		body := userUpdated(fmt.Sprintf("user_wh_%d", msg%2000), now.UnixMilli()+int64(msg))
		id := fmt.Sprintf("msg_bench_%d_%d", run, msg)
		sig, err := wh.Sign(id, now, body)
		if err != nil {
			return webhookResult{}, err
		}
		ds[i] = delivery{id: id, sig: sig, ts: fmt.Sprint(now.Unix()), body: body}
	}
	before, err := countRows(ctx, dbURL, "webhook_events")
	if err != nil {
		return webhookResult{}, err
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	pg0, err := t.pgm.snapshot(ctx)
	if err != nil {
		return webhookResult{}, err
	}
	cpu0 := processCPU(t.pid)
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				d := ds[i]
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, t.url+"/webhooks/clerk", bytes.NewReader(d.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("svix-id", d.id)
				req.Header.Set("svix-timestamp", d.ts)
				req.Header.Set("svix-signature", d.sig)
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU(t.pid) - cpu0
	pg1, err := t.pgm.snapshot(ctx)
	if err != nil {
		return webhookResult{}, err
	}
	after, err := countRows(ctx, dbURL, "webhook_events")
	if err != nil {
		return webhookResult{}, err
	}
	return webhookResult{
		Deliveries: n, Unique: (n + 1) / 2, Elapsed: elapsed, Failed: failed.Load(), Recorded: after - before,
		ServerCPU: cpu, PGCPU: pg1.since(pg0), PGRemote: pg0.remote() || pg1.remote(),
	}, nil
}

// userUpdated is a user.updated event in Clerk's shape (see
// internal/clerkfixtures/testdata/user.updated.json), with updated_at in ms.
func userUpdated(userID string, updatedAt int64) []byte {
	ev := map[string]any{
		"object":      "event",
		"type":        "user.updated",
		"instance_id": "ins_clerkdev",
		"timestamp":   updatedAt,
		"data": map[string]any{
			"object":                   "user",
			"id":                       userID,
			"first_name":               "Hook",
			"last_name":                fmt.Sprint(updatedAt),
			"image_url":                "https://img.clerk.com/bench",
			"primary_email_address_id": "idn_" + userID,
			"email_addresses": []map[string]any{{
				"object": "email_address", "id": "idn_" + userID, "email_address": userID + "@example.com",
				"verification": map[string]any{"status": "verified", "strategy": "email_code"},
			}},
			"public_metadata":  map[string]any{},
			"private_metadata": map[string]any{},
			"unsafe_metadata":  map[string]any{},
			"created_at":       updatedAt - 1000,
			"updated_at":       updatedAt,
		},
	}
	b, _ := json.Marshal(ev)
	return b
}

func countRows(ctx context.Context, dbURL, table string) (int64, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int64
	err = conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n)
	return n, err
}
