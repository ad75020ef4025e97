package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"example.com/saas/internal/clerkdev"
	"example.com/saas/internal/devpg"
	"example.com/saas/internal/gateway"
)

// runGateway is `make run-gateway`: the gateway (cmd/gateway) and the
// example service (examples/notifications) beside a running `make run`,
// pointed at its database and emulator with the settings it uses, and one
// shared secret for both. Each runs as `go run` so its own logs and exit
// status show; Ctrl-C stops both.
func runGateway(parent context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	vars, err := gatewayVars(getenv)
	if err != nil {
		return err
	}
	env := os.Environ()
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	goCmd := getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var procs []*exec.Cmd
	if _, err := os.Stat("examples/notifications"); err == nil {
		procs = append(procs, child(ctx, goCmd, env, stdout, stderr, "./examples/notifications"))
	} else {
		fmt.Fprintln(stdout, "examples/notifications is not in this checkout: starting the gateway alone")
	}
	procs = append(procs, child(ctx, goCmd, env, stdout, stderr, "./cmd/gateway"))
	setting := layered(vars, getenv)
	fmt.Fprintf(stdout, "\n  ➜  The gateway will listen at http://%s, routing %s\n", setting("GATEWAY_ADDR"), setting("GATEWAY_ROUTES"))
	err = waitFirst(cancel, procs)
	if parent.Err() != nil {
		return nil // Ctrl-C: the children's exit statuses say only that
	}
	return err
}

// gatewayVars fills what `make run` sets up itself: the local cluster's
// URL, the emulator's URLs and key, the routes and the development secret.
// Variables already set win.
func gatewayVars(getenv func(string) string) (map[string]string, error) {
	vars := map[string]string{}
	set := func(k, v string) {
		if getenv(k) == "" {
			vars[k] = v
		}
	}
	if getenv("DATABASE_URL") == "" {
		c, err := localCluster()
		if err != nil {
			return nil, err
		}
		if !devpg.Running(c) {
			return nil, errors.New("the local Postgres is not running: start `make run` first (or set DATABASE_URL)")
		}
		vars["DATABASE_URL"] = c.URL("saas")
	}
	if getenv("CLERK_SECRET_KEY") == "" {
		port := getenv("CLERK_EMULATOR_PORT")
		if port == "" {
			port = "8081"
		}
		emu := "http://127.0.0.1:" + port
		vars["CLERK_SECRET_KEY"] = clerkdev.DefaultSecretKey
		vars["CLERK_FRONTEND_API_URL"] = emu
		vars["CLERK_API_URL"] = emu + "/v1"
	}
	lookup := layered(vars, getenv)
	set("NOTIFICATIONS_ADDR", "127.0.0.1:9301")
	set("GATEWAY_ADDR", "127.0.0.1:8090")
	set("GATEWAY_ROUTES", "/notifications/=http://"+lookup("NOTIFICATIONS_ADDR")+",/api/=http://localhost:"+portOf(getenv))
	// Both processes must hold the same secret; the gateway would default
	// to it anyway, the service has no default.
	set("GATEWAY_SHARED_SECRET", gateway.DevSharedSecret)
	return vars, nil
}

// layered looks k up in vars, then in getenv.
func layered(vars map[string]string, getenv func(string) string) func(string) string {
	return func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return getenv(k)
	}
}

func child(ctx context.Context, goCmd string, env []string, stdout, stderr io.Writer, pkg string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, goCmd, "run", pkg)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, stdout, stderr
	// `go run` passes the interrupt on to the program, which shuts down cleanly.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 20 * time.Second
	return cmd
}

// waitFirst starts procs and returns when the first one ends (the others
// are then stopped), with its error.
func waitFirst(cancel context.CancelFunc, procs []*exec.Cmd) error {
	errc := make(chan error, len(procs))
	for _, p := range procs {
		if err := p.Start(); err != nil {
			cancel()
			return fmt.Errorf("start %v: %w", p.Args, err)
		}
		go func() {
			if err := p.Wait(); err != nil {
				errc <- fmt.Errorf("%v: %w", p.Args[2:], err)
				return
			}
			errc <- nil
		}()
	}
	first := <-errc
	cancel()
	for range procs[1:] {
		<-errc
	}
	return first
}
