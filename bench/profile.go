package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfile starts the CPU profile when asked; the returned function
// stops it and writes the allocation profile.
func startProfile(o options) (func() error, error) {
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		return func() error {
			pprof.StopCPUProfile()
			f.Close()
			fmt.Printf("CPU profile written to %s (go tool pprof -top %s)\n", o.cpuProfile, o.cpuProfile)
			return writeMemProfile(o)
		}, nil
	}
	return func() error { return writeMemProfile(o) }, nil
}

func writeMemProfile(o options) error {
	if o.memProfile == "" {
		return nil
	}
	f, err := os.Create(o.memProfile)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		return err
	}
	fmt.Printf("allocation profile written to %s (go tool pprof -sample_index=alloc_space -top %s)\n", o.memProfile, o.memProfile)
	return nil
}

// profiling reports whether a profile was asked for: the app then runs in
// this process.
func (o options) profiling() bool { return o.cpuProfile != "" || o.memProfile != "" }
