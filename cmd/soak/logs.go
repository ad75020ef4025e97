package main

import (
	"bytes"
	"strings"
	"sync"
)

// logCounter receives the app's log: it counts lines by level and keeps the
// first warnings and errors (access lines, at info, are only counted).
type logCounter struct {
	mu      sync.Mutex
	partial []byte
	levels  map[string]int
	kept    []string
}

func (l *logCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.levels == nil {
		l.levels = map[string]int{}
	}
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		level := "OTHER"
		for _, lv := range []string{"DEBUG", "INFO", "WARN", "ERROR"} {
			if strings.Contains(line, "level="+lv+" ") {
				level = lv
				break
			}
		}
		l.levels[level]++
		if (level == "WARN" || level == "ERROR") && len(l.kept) < 20 {
			if len(line) > 300 {
				line = line[:300] + "…"
			}
			l.kept = append(l.kept, line)
		}
	}
	l.partial = append([]byte(nil), l.partial...) // do not pin a large buffer
	return len(p), nil
}

// count returns how many lines were logged at level.
func (l *logCounter) count(level string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.levels[level]
}

// notable returns the first warnings and errors.
func (l *logCounter) notable() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.kept, "\n")
}
