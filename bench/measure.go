package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"
)

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
