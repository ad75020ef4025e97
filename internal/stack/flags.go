package stack

import (
	"flag"
	"time"
)

// LoadFlags are the flags of the harnesses that run the stack under load
// (bench and cmd/soak).
type LoadFlags struct {
	// Duration is the length of a measured load run.
	Duration time.Duration
	// Warmup is the unmeasured load before measuring (pools, caches).
	Warmup time.Duration
	// Connections is how many connections send the load at once.
	Connections int
	// Keep keeps the database (and any logs) instead of dropping it.
	Keep bool
}

// Register defines -duration, -warmup, -connections and -keep on fs, with
// the values f holds as their defaults.
func (f *LoadFlags) Register(fs *flag.FlagSet) {
	fs.DurationVar(&f.Duration, "duration", f.Duration, "length of a measured load run")
	fs.DurationVar(&f.Warmup, "warmup", f.Warmup, "unmeasured load before measuring (pools, caches)")
	fs.IntVar(&f.Connections, "connections", f.Connections, "concurrent connections")
	fs.BoolVar(&f.Keep, "keep", f.Keep, "keep the database (and any logs) for inspection")
}
