// Package devpg starts (or reuses) a project-local PostgreSQL cluster for
// `make run` and `make test` when no database URL is configured, so a new
// machine with only the PostgreSQL server binaries installed just works.
package devpg

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultPort is the local cluster's port, away from a system Postgres on 5432.
const DefaultPort = 54329

// Cluster describes a local cluster.
type Cluster struct {
	Dir  string // data directory, e.g. .data/postgres
	Port int
}

// URL is the superuser connection URL for database name.
func (c Cluster) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, database)
}

// ErrNoBinaries says no initdb/pg_ctl could be found.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin: " +
	"install them (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL / TEST_DATABASE_URL")

// Ensure makes sure the cluster exists and is running, initialising it on
// first use, and returns it with the port it listens on. It is safe to call
// from several processes at once (a file lock serialises them) and returns
// quickly when the cluster already runs. When the default port is taken by
// another server (another checkout's cluster, say), the cluster starts on a
// free port, recorded beside the data directory for later runs.
func Ensure(ctx context.Context, c Cluster) (Cluster, error) {
	if Running(c) {
		return c, nil
	}
	bin, err := findBinDir()
	if err != nil {
		return c, err
	}
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return c, fmt.Errorf("create %s: %w", filepath.Dir(c.Dir), err)
	}
	unlock, err := lockFile(c.Dir + ".lock")
	if err != nil {
		return c, err
	}
	defer unlock()
	c.Port = recordedPort(c.Dir, c.Port) // another process may have chosen one while we waited
	if Running(c) {
		return c, nil
	}
	if reachable(c.Port) {
		if c.Port, err = choosePort(c.Dir); err != nil {
			return c, err
		}
	}
	cred, err := runAs(c.Dir)
	if err != nil {
		return c, err
	}
	server := c
	if server.Dir, err = serverDir(c.Dir, cred); err != nil {
		return c, err
	}
	if _, err := os.Stat(filepath.Join(server.Dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := initdb(ctx, bin, server.Dir, cred); err != nil {
			return c, err
		}
	}
	return c, start(ctx, bin, server, cred)
}

// Running reports whether this cluster (not just any server on its port)
// is up: its postmaster.pid names a live process listening on c.Port.
func Running(c Cluster) bool {
	b, err := os.ReadFile(filepath.Join(c.Dir, "postmaster.pid"))
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false // a stale file left by a crash
	}
	return strings.TrimSpace(lines[3]) == strconv.Itoa(c.Port) && reachable(c.Port)
}

// portFile records the port of a cluster that could not use DefaultPort.
func portFile(dir string) string { return dir + ".port" }

// recordedPort is the port recorded for the cluster in dir, or fallback.
func recordedPort(dir string, fallback int) int {
	b, err := os.ReadFile(portFile(dir))
	if err != nil {
		return fallback
	}
	p, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || p <= 0 || p > 65535 {
		return fallback
	}
	return p
}

// choosePort picks a free port for the cluster in dir and records it.
func choosePort(dir string) (int, error) {
	p, err := FreePort()
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(portFile(dir), []byte(strconv.Itoa(p)+"\n"), 0o644); err != nil {
		return 0, fmt.Errorf("record the local cluster's port: %w", err)
	}
	return p, nil
}

// serverDir is where the server keeps its files. As root the server runs as
// another user, who may be unable to reach a checkout under, say, /root;
// then the cluster lives in a temporary directory that user can reach, and
// dir becomes a symlink to it.
func serverDir(dir string, cred *syscall.Credential) (string, error) {
	if cred == nil {
		return dir, nil
	}
	if target, err := os.Readlink(dir); err == nil {
		return target, nil // an earlier run moved it
	}
	if canEnter(filepath.Dir(dir), cred) {
		return dir, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	alt := filepath.Join(os.TempDir(), "saas-postgres-"+hex.EncodeToString(sum[:6]))
	if err := os.Symlink(alt, dir); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("link %s to %s: %w", dir, alt, err)
	}
	return alt, nil
}

// canEnter reports whether the user of cred can change into dir.
func canEnter(dir string, cred *syscall.Credential) bool {
	cmd := exec.Command("/bin/sh", "-c", `cd "$1"`, "sh", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Dir = "/"
	return cmd.Run() == nil
}

// Stop stops the cluster if it runs (used by `make run` on Ctrl-C when it
// started the cluster itself).
func Stop(ctx context.Context, c Cluster) error {
	bin, err := findBinDir()
	if err != nil {
		return err
	}
	cred, err := runAs(c.Dir)
	if err != nil {
		return err
	}
	if c.Dir, err = serverDir(c.Dir, cred); err != nil {
		return err
	}
	return run(ctx, cred, filepath.Join(bin, "pg_ctl"), "-D", c.Dir, "-m", "fast", "-w", "stop")
}

func reachable(port int) bool {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 300*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func initdb(ctx context.Context, bin, dir string, cred *syscall.Credential) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("chown %s: %w", dir, err)
		}
	}
	err := run(ctx, cred, filepath.Join(bin, "initdb"), "-D", dir, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	if err != nil {
		os.RemoveAll(dir) // a half-initialised directory would block the next try
		return err
	}
	return nil
}

func start(ctx context.Context, bin string, c Cluster, cred *syscall.Credential) error {
	// TCP on loopback only; no Unix socket, so no socket-directory permissions to get wrong.
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "+
		"-c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", c.Port)
	logFile := filepath.Join(c.Dir, "server.log")
	return run(ctx, cred, filepath.Join(bin, "pg_ctl"), "-D", c.Dir, "-l", logFile, "-o", opts, "-w", "-t", "60", "start")
}

func run(ctx context.Context, cred *syscall.Credential, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Dir = "/"
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), args[len(args)-1], err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// runAs returns the credentials to run the server with. PostgreSQL refuses
// to run as root, so as root the cluster belongs to the "postgres" system
// user (or "nobody"), and the directory is handed to it.
func runAs(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if info, err := os.Stat(dir); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
				if err := chownTree(dir, uid, gid); err != nil {
					return nil, err
				}
			}
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as: create one or set DATABASE_URL")
}

func chownTree(dir string, uid, gid int) error {
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func findBinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// CreateDatabase creates database name in the cluster if it does not exist.
func CreateDatabase(ctx context.Context, c Cluster, name string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to local Postgres: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}
