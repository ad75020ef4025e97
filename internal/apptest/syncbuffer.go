package apptest

import (
	"log/slog"
	"strings"
	"sync"
)

// SyncBuffer is a bytes buffer safe for concurrent writes (the app's log).
type SyncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logger returns a logger that writes into b.
func (b *SyncBuffer) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }
