package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/saas/internal/testenv"
)

// A backend's stat line as Linux prints it (fields 14 and 15: utime,
// stime in clock ticks).
const backendStat = "4242 (postgres) S 812 812 812 0 -1 4194624 1200 0 0 0 150 75 0 0 20 0 1 0 5000 225000000 3000 18446744073709551615 1 1 0 0 0 0 4194304 19935232 84487 0 0 0 17 1 0 0 0 0 0\n"

func TestParseStat(t *testing.T) {
	comm, cpu, ok := parseStat([]byte(backendStat))
	if !ok || comm != "postgres" || cpu != 2250*time.Millisecond {
		t.Errorf("parseStat = %q, %s, %v; want postgres, 2.25s, true", comm, cpu, ok)
	}
	// A command name with spaces and a parenthesis does not shift the fields.
	odd := "7 (a b) c) R 1 1 1 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 1 1 1\n"
	if comm, cpu, ok := parseStat([]byte(odd)); !ok || comm != "a b) c" || cpu != 300*time.Millisecond {
		t.Errorf("parseStat(odd) = %q, %s, %v", comm, cpu, ok)
	}
	for _, bad := range []string{"", "12 postgres S 1", "12 (postgres) S 1 2 3", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 u s 0"} {
		if _, _, ok := parseStat([]byte(bad)); ok {
			t.Errorf("parseStat(%q) ok", bad)
		}
	}
}

// fakeProc writes stat files for pids under a temporary /proc.
func fakeProc(t *testing.T, stats map[int]string) string {
	t.Helper()
	dir := t.TempDir()
	for pid, stat := range stats {
		p := filepath.Join(dir, strconv.Itoa(pid))
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "stat"), []byte(stat), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadBackendsLocal(t *testing.T) {
	proc := fakeProc(t, map[int]string{
		4242: backendStat,
		// A pid pg_stat_activity listed that is something else here: the
		// server's pid namespace is not ours.
		4343: "4343 (bash) S 1 1 1 0 -1 0 0 0 0 0 500 500 0 0 20 0 1 0 1 1 1\n",
	})
	s := readBackends(proc, []int32{4242, 4343, 4444})
	if s.remote() {
		t.Error("remote with a readable backend")
	}
	if len(s.cpu) != 1 || s.cpu[4242] != 2250*time.Millisecond {
		t.Errorf("cpu = %v, want only 4242 at 2.25s", s.cpu)
	}
	if s.listed != 3 {
		t.Errorf("listed = %d", s.listed)
	}
}

func TestReadBackendsRemote(t *testing.T) {
	proc := fakeProc(t, map[int]string{1: "1 (init) S 0 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 1 1 1\n"})
	if s := readBackends(proc, []int32{1, 90001, 90002}); !s.remote() {
		t.Errorf("backends listed, none here: want remote, got %+v", s)
	}
	// No backend at all says nothing about where the server is.
	if s := readBackends(proc, nil); s.remote() {
		t.Error("remote with no backends listed")
	}
}

func TestSnapshotSince(t *testing.T) {
	before := pgSnapshot{cpu: map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: time.Second}, listed: 3}
	// 1 used 500 ms, 2 none, 3 exited (not counted), 4 started in between.
	after := pgSnapshot{cpu: map[int]time.Duration{1: 1500 * time.Millisecond, 2: 2 * time.Second, 4: 300 * time.Millisecond}, listed: 3}
	if got := after.since(before); got != 800*time.Millisecond {
		t.Errorf("since = %s, want 800ms", got)
	}
}

// The harness's own process is readable: processCPU and parseStat agree
// with /proc on a real Linux.
func TestProcessCPUSelf(t *testing.T) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skip("no /proc")
	}
	if _, _, ok := parseStat(b); !ok {
		t.Fatalf("cannot parse /proc/self/stat: %q", b)
	}
	end := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(end) {
	}
	if processCPU(os.Getpid()) <= 0 {
		t.Error("no CPU time for this process")
	}
}

// Against the test server: a connection to the database is found through
// pg_stat_activity, and read from /proc when the server runs here; the
// meter's own connection (to the admin database) is not counted.
func TestPGMeterFindsTheDatabasesBackends(t *testing.T) {
	ctx := context.Background()
	dbURL := testenv.NewDatabase(t)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var pid int32
	var name string
	if err := conn.QueryRow(ctx, `SELECT pg_backend_pid(), current_database()`).Scan(&pid, &name); err != nil {
		t.Fatal(err)
	}
	m, err := newPGMeter(ctx, testenv.ServerURL(t), name)
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	s, err := m.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.listed != 1 {
		t.Errorf("listed %d backends of %s, want the test's one", s.listed, name)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if comm, _, _ := parseStat(b); err != nil || comm != "postgres" {
		if !s.remote() {
			t.Errorf("backend %d is not on this machine, but the snapshot is not remote: %+v", pid, s)
		}
		return
	}
	if _, ok := s.cpu[int(pid)]; !ok || s.remote() {
		t.Errorf("local backend %d not read: %+v", pid, s)
	}
}
