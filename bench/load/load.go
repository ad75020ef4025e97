// Package load drives an HTTP endpoint with a fixed number of keep-alive
// connections for a fixed time and reports throughput and latency, with
// wrk when it is installed and with a small Go generator otherwise.
//
// A response counts as an error unless its status is 200: a redirect to the
// sign-in page is fast, and must never pass for a served page.
package load

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"time"
)

// Target is one endpoint: a GET of URL with Header on every request.
type Target struct {
	URL    string
	Header http.Header
}

// Options shape a run.
type Options struct {
	// Connections is the number of concurrent keep-alive connections.
	Connections int
	// Duration is how long the run lasts.
	Duration time.Duration
	// Threads is wrk's thread count (the Go generator uses one goroutine per
	// connection).
	Threads int
}

// Result is what a run measured.
type Result struct {
	Tool     string
	Requests int64
	// Errors counts socket errors, timeouts and responses other than 200.
	Errors   int64
	Elapsed  time.Duration
	Bytes    int64
	P50, P99 time.Duration
	Max      time.Duration
}

// RPS is requests per second, errors included.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Generator runs a load against a target.
type Generator interface {
	Name() string
	Run(ctx context.Context, t Target, o Options) (Result, error)
}

// Pick returns the generator named name: "wrk", "go", or "auto" (wrk when
// it is on PATH, else the Go generator).
func Pick(name string) (Generator, error) {
	switch name {
	case "go":
		return Native{}, nil
	case "wrk":
		path, err := exec.LookPath("wrk")
		if err != nil {
			return nil, fmt.Errorf("wrk not found on PATH (apt-get install wrk, or use -loadgen go)")
		}
		return Wrk{Path: path}, nil
	case "auto", "":
		if path, err := exec.LookPath("wrk"); err == nil {
			return Wrk{Path: path}, nil
		}
		return Native{}, nil
	default:
		return nil, fmt.Errorf("unknown load generator %q (wrk, go or auto)", name)
	}
}
