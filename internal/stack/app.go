package stack

import (
	"context"
	"errors"
	"fmt"
	"io"

	"example.com/saas/internal/app"
)

// App is the app's serve command (internal/app.Run) running in this process.
type App struct {
	// Addr is the address it listens on.
	Addr   string
	cancel context.CancelFunc
	exited chan struct{}
	err    error
}

// StartApp runs the app in this process with settings as its whole
// environment (the map must not change afterwards) and its log written to
// logs. It returns once the app listens, or an error when the app exits
// first or ctx ends first. Once started, the app runs until Stop, whatever
// becomes of ctx.
func StartApp(ctx context.Context, settings map[string]string, logs io.Writer) (*App, error) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a := &App{cancel: cancel, exited: make(chan struct{})}
	listening := make(chan string, 1)
	env := app.Env{
		Getenv: func(k string) string { return settings[k] },
		Stdout: io.Discard,
		Stderr: logs,
		Ready:  func(addr string) { listening <- addr },
	}
	go func() {
		defer close(a.exited)
		a.err = app.Run(runCtx, []string{"serve"}, env)
	}()
	select {
	case a.Addr = <-listening:
		return a, nil
	case <-a.exited:
		cancel()
		return nil, fmt.Errorf("the app did not start: %w", exitError(a.err))
	case <-ctx.Done():
		cancel()
		return nil, fmt.Errorf("the app did not start: %w", context.Cause(ctx))
	}
}

// Stop shuts the app down, letting in-flight requests finish, and returns
// the error it stopped with (nil after a clean shutdown).
func (a *App) Stop() error {
	a.cancel()
	<-a.exited
	return a.err
}

// Exited is closed once the app has stopped, by Stop or on its own.
func (a *App) Exited() <-chan struct{} { return a.exited }

// exitError is what the app ended with before it listened.
func exitError(err error) error {
	if err == nil {
		return errors.New("it exited without an error")
	}
	return err
}
