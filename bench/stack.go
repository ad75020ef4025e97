package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"example.com/saas/internal/app"
	"example.com/saas/internal/database"
	"example.com/saas/internal/devpg"
)

// tenantRole is the app's default DB_TENANT_ROLE.
const tenantRole = "app_tenant"

func freshDatabase(ctx context.Context, admin, prefix string) (string, func(), error) {
	b := make([]byte, 4)
	rand.Read(b)
	name := prefix + "_" + hex.EncodeToString(b)
	if err := devpg.Exec(ctx, admin, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop := func() {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := devpg.Exec(dctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "bench: drop database %s: %v\n", name, err)
		}
	}
	dbURL := devpg.WithDatabase(admin, name)
	m, err := database.NewMigrator(dbURL, tenantRole)
	if err != nil {
		drop()
		return "", nil, err
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		drop()
		return "", nil, err
	}
	return dbURL, drop, nil
}

// databaseName is the database of a URL.
func databaseName(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// build compiles pkg (relative to root) into dir and returns the binary.
func build(ctx context.Context, root, dir, pkg, name string) (string, error) {
	out := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}

// server is a running app or baseline.
type server struct {
	name string
	// url is the base URL the load generator uses (127.0.0.1:<port>).
	url string
	pid int
	// startup is process start to the first 200 from /readyz.
	startup time.Duration
	stop    func() error
	// inProcess: pid is the harness itself; RSS and start-up are not the app's.
	inProcess bool
}

// startProcess runs bin with env (and nothing else from the harness's
// environment but PATH and HOME) in dir, and waits for readyPath to answer 200.
func startProcess(name, bin string, env map[string]string, dir, logPath, baseURL, readyPath string) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Dir = dir // away from the repository's .env
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	done := make(chan error, 1)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { done <- cmd.Wait(); logf.Close() }()
	s := &server{name: name, url: baseURL, pid: cmd.Process.Pid}
	s.stop = func() error {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			return fmt.Errorf("%s did not stop within 20s", name)
		}
	}
	if err := waitReady(baseURL+readyPath, done, 30*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%s: %w (log: %s)\n%s", name, err, logPath, tail(logPath, 20))
	}
	s.startup = time.Since(t0)
	return s, nil
}

// waitReady polls url until it answers 200, the process exits, or timeout.
func waitReady(u string, exited <-chan error, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited before ready: %v", err)
		default:
		}
		resp, err := client.Get(u)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("not ready within %s", timeout)
}

// startAppInProcess runs internal/app in this process (for -cpuprofile):
// the profile then covers the app's request path, but start-up and RSS
// are the harness's and are not reported.
func startAppInProcess(env map[string]string, logPath string) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	e := app.Env{
		Getenv: func(k string) string { return env[k] },
		Stdout: io.Discard,
		Stderr: logf,
		Ready:  func(string) { close(ready) },
	}
	t0 := time.Now()
	go func() { done <- app.Run(ctx, []string{"serve"}, e) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		logf.Close()
		return nil, fmt.Errorf("app: %v\n%s", err, tail(logPath, 20))
	}
	base := "http://127.0.0.1:" + env["PORT"]
	if err := waitReady(base+"/readyz", done, 30*time.Second); err != nil {
		cancel()
		return nil, err
	}
	return &server{name: "app", url: base, pid: os.Getpid(), startup: time.Since(t0), inProcess: true, stop: func() error {
		cancel()
		err := <-done
		logf.Close()
		return err
	}}, nil
}

// procStatusKB reads a "VmRSS"-style field of /proc/<pid>/status, in kB.
func procStatusKB(pid int, field string) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// rssSampler records the largest VmRSS of pid while it runs.
type rssSampler struct {
	stop chan struct{}
	done chan int64
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan int64, 1)}
	go func() {
		var peak int64
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, procStatusKB(pid, "VmRSS"))
			select {
			case <-s.stop:
				s.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop returns the peak RSS in kB.
func (s *rssSampler) Stop() int64 {
	close(s.stop)
	return <-s.done
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times (100 on Linux).
const clockTicks = 100

// processCPU is the user+system CPU time pid has used.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start at ") ".
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// pgSnapshot maps the pids of the Postgres client backends connected to
// database (found by their process titles, "postgres: <user> <database>
// <address> <state>") to the CPU time each has used, when the server runs
// on this machine. Other databases' backends (tests running beside the
// benchmark) and background workers are left out.
type pgSnapshot map[int]time.Duration

func postgresCPU(database string) pgSnapshot {
	out := pgSnapshot{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		title, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		f := strings.Fields(strings.ReplaceAll(string(title), "\x00", " "))
		if len(f) < 3 || f[0] != "postgres:" || f[2] != database {
			continue
		}
		out[pid] = processCPU(pid)
	}
	return out
}

// since is the CPU time used since earlier by the backends alive now
// (backends that exited in between are not counted).
func (s pgSnapshot) since(earlier pgSnapshot) time.Duration {
	var d time.Duration
	for pid, cpu := range s {
		d += cpu - earlier[pid]
	}
	return d
}
