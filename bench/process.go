package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"example.com/saas/internal/stack"
)

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
	exited := make(chan struct{})
	var exitErr error
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		defer close(exited)
		exitErr = cmd.Wait()
		logf.Close()
	}()
	s := &server{name: name, url: baseURL, pid: cmd.Process.Pid}
	s.stop = func() error {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			return exitErr
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			return fmt.Errorf("%s did not stop within 20s", name)
		}
	}
	if err := waitReady(baseURL+readyPath, exited, 30*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%s: %w (log: %s)\n%s", name, err, logPath, tail(logPath, 20))
	}
	s.startup = time.Since(t0)
	return s, nil
}

// waitReady polls u until it answers 200, the server exits (exited is
// closed), or timeout.
func waitReady(u string, exited <-chan struct{}, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("exited before ready")
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
func startAppInProcess(ctx context.Context, vars map[string]string, logPath string) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	app, err := stack.StartApp(sctx, vars, logf)
	if err != nil {
		logf.Close()
		return nil, fmt.Errorf("app: %w\n%s", err, tail(logPath, 20))
	}
	stop := func() error {
		err := app.Stop()
		logf.Close()
		return err
	}
	base := "http://127.0.0.1:" + vars["PORT"]
	if err := waitReady(base+"/readyz", app.Exited(), 30*time.Second); err != nil {
		stop()
		return nil, fmt.Errorf("app: %w\n%s", err, tail(logPath, 20))
	}
	return &server{name: "app", url: base, pid: os.Getpid(), startup: time.Since(t0), inProcess: true, stop: stop}, nil
}

// tail is the last n lines of the file at path.
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
