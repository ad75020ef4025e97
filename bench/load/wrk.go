package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Wrk runs wrk (https://github.com/wg/wrk) with a Lua script that counts
// every non-200 response and prints the summary as one JSON line.
type Wrk struct {
	Path string
}

// Name implements Generator.
func (Wrk) Name() string { return "wrk" }

// wrkScript counts non-200 responses per thread and sums them in done();
// latencies are wrk's own (microseconds).
const wrkScript = `
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non200 = 0 end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non200") end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"socket":%d,"timeout":%d,"non200":%d,"p50":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write, e.timeout, bad,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`

type wrkSummary struct {
	Requests   int64 `json:"requests"`
	DurationUS int64 `json:"duration_us"`
	Bytes      int64 `json:"bytes"`
	Socket     int64 `json:"socket"`
	Timeout    int64 `json:"timeout"`
	Non200     int64 `json:"non200"`
	P50        int64 `json:"p50"`
	P99        int64 `json:"p99"`
	Max        int64 `json:"max"`
}

// Run implements Generator.
func (w Wrk) Run(ctx context.Context, t Target, o Options) (Result, error) {
	dir, err := os.MkdirTemp("", "bench-wrk-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "count.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o644); err != nil {
		return Result{}, err
	}
	threads := max(1, o.Threads)
	threads = min(threads, o.Connections)
	args := []string{
		"-t", strconv.Itoa(threads),
		"-c", strconv.Itoa(o.Connections),
		// wrk takes whole seconds ("ms" is not a unit it knows).
		"-d", fmt.Sprintf("%ds", max(1, int((o.Duration+time.Second-1)/time.Second))),
		"--timeout", "5s",
		"-s", script,
	}
	for name, values := range t.Header {
		for _, v := range values {
			args = append(args, "-H", name+": "+v)
		}
	}
	args = append(args, t.URL)
	cmd := exec.CommandContext(ctx, w.Path, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("wrk: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "BENCHJSON ")
		if !ok {
			continue
		}
		var s wrkSummary
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			return Result{}, fmt.Errorf("wrk summary: %w", err)
		}
		return Result{
			Tool:     "wrk",
			Requests: s.Requests,
			Errors:   s.Socket + s.Timeout + s.Non200,
			Elapsed:  time.Duration(s.DurationUS) * time.Microsecond,
			Bytes:    s.Bytes,
			P50:      time.Duration(s.P50) * time.Microsecond,
			P99:      time.Duration(s.P99) * time.Microsecond,
			Max:      time.Duration(s.Max) * time.Microsecond,
		}, nil
	}
	return Result{}, fmt.Errorf("wrk printed no summary:\n%s", out.String())
}
