// Command saas is a server-rendered, multi-tenant SaaS starter on Clerk.
// See README.md; the wiring lives in internal/app.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"example.com/saas/internal/app"
)

// gcPercent is the garbage collector's target unless GOGC is set. The live
// heap is a few MB, so Go's default (100) collects after every few MB of
// garbage: 30+ times a second under load. 200 costs ~4 MB of peak RSS and
// gives back about a tenth of the CPU (docs/performance.md, "GC").
const gcPercent = 200

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Args[1:], app.OSEnv()); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		if errors.Is(err, app.ErrUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
