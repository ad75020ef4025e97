package devpg

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestClusterMovesOffATakenPort: a second checkout whose port is held by
// another server (the first checkout's cluster) starts its own cluster on a
// free port, records it, and later runs find it there — it never adopts the
// other server as its own.
func TestClusterMovesOffATakenPort(t *testing.T) {
	t.Parallel()
	if _, err := findBinDir(); err != nil {
		t.Fatal(err) // a missing prerequisite fails, never skips
	}
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	taken := other.Addr().(*net.TCPAddr).Port

	root := t.TempDir()
	c := Cluster{Dir: filepath.Join(root, ".data", "postgres"), Port: taken}
	if Running(c) {
		t.Fatal("a server on the port counts as this checkout's cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	got, err := Ensure(ctx, c)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	t.Cleanup(func() { stopAndRemove(t, got) })
	if got.Port == taken || !Running(got) {
		t.Fatalf("cluster on port %d (running %v), want a free port other than %d", got.Port, Running(got), taken)
	}
	if p := recordedPort(c.Dir, DefaultPort); p != got.Port {
		t.Errorf("recorded port = %d, want %d", p, got.Port)
	}
	if again, err := Ensure(ctx, Cluster{Dir: c.Dir, Port: recordedPort(c.Dir, DefaultPort)}); err != nil || again.Port != got.Port {
		t.Errorf("second Ensure = port %d, %v; want the running cluster on %d", again.Port, err, got.Port)
	}
	if err := CreateDatabase(ctx, got, "saas"); err != nil {
		t.Fatalf("the cluster does not answer: %v", err)
	}
}

func stopAndRemove(t *testing.T, c Cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Stop(ctx, c); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if target, err := os.Readlink(c.Dir); err == nil {
		os.RemoveAll(target) // as root the data lives where the server's user can reach it
	}
}
