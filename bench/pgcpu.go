package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times (100 on Linux).
const clockTicks = 100

// processCPU is the user+system CPU time pid has used (0 when unreadable).
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	_, cpu, _ := parseStat(b)
	return cpu
}

// parseStat reads the command name and the user+system CPU time from the
// contents of a /proc/<pid>/stat file.
func parseStat(b []byte) (comm string, cpu time.Duration, ok bool) {
	// The command name is in parentheses and may hold spaces and
	// parentheses itself: the fields after it start at the last ") ".
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", 0, false
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 13 {
		return "", 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return "", 0, false
	}
	return s[open+1 : end], time.Duration(utime+stime) * time.Second / clockTicks, true
}

// pgMeter reads the CPU time of one database's Postgres backends. It asks
// the server which backends serve the database (pg_stat_activity), so it
// works for any server, whoever started it, and reads their CPU time from
// /proc when they run on this machine. Other databases' backends (tests
// running beside the benchmark) and background workers are left out.
type pgMeter struct {
	// conn is to the admin database: its own backend is not one of the
	// measured database's.
	conn     *pgx.Conn
	database string
	proc     string // /proc, or a fixture in tests
}

func newPGMeter(ctx context.Context, adminURL, database string) (*pgMeter, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("postgres CPU: connect: %w", err)
	}
	return &pgMeter{conn: conn, database: database, proc: "/proc"}, nil
}

func (m *pgMeter) close() { m.conn.Close(context.Background()) }

// pgSnapshot maps the pids of a database's backends that run on this
// machine to the CPU time each has used; listed is how many backends the
// server reported, here or not.
type pgSnapshot struct {
	cpu    map[int]time.Duration
	listed int
}

// snapshot lists the database's backends and reads their CPU time.
func (m *pgMeter) snapshot(ctx context.Context) (pgSnapshot, error) {
	rows, err := m.conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1`, m.database)
	if err != nil {
		return pgSnapshot{}, fmt.Errorf("postgres CPU: list backends: %w", err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return pgSnapshot{}, fmt.Errorf("postgres CPU: list backends: %w", err)
	}
	return readBackends(m.proc, pids), nil
}

// readBackends reads each pid's stat under proc. A pid that is not here,
// or is here but not a postgres process, is a backend of a server on
// another machine (or in another pid namespace, as in a container), whose
// numbers mean nothing here.
func readBackends(proc string, pids []int32) pgSnapshot {
	s := pgSnapshot{cpu: map[int]time.Duration{}, listed: len(pids)}
	for _, pid := range pids {
		b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(int(pid)), "stat"))
		if err != nil {
			continue
		}
		comm, cpu, ok := parseStat(b)
		if !ok || (comm != "postgres" && comm != "postmaster") {
			continue
		}
		s.cpu[int(pid)] = cpu
	}
	return s
}

// remote reports whether the server listed backends none of which run on
// this machine: their CPU time cannot be read, and 0 would be a lie.
func (s pgSnapshot) remote() bool { return s.listed > 0 && len(s.cpu) == 0 }

// since is the CPU time used since earlier by the backends alive now
// (backends that exited in between are not counted; one that started in
// between counts from its start).
func (s pgSnapshot) since(earlier pgSnapshot) time.Duration {
	var d time.Duration
	for pid, cpu := range s.cpu {
		d += cpu - earlier.cpu[pid]
	}
	return d
}
