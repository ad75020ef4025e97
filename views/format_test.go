package views

import (
	"testing"
	"time"
)

func TestMomentText(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		ago  time.Duration
		want string
	}{
		{10 * time.Second, "just now"},
		{time.Minute, "1 minute ago"},
		{3 * time.Minute, "3 minutes ago"},
		{5 * time.Hour, "5 hours ago"},
		{36 * time.Hour, "1 day ago"},
		{6 * 24 * time.Hour, "6 days ago"},
		{8 * 24 * time.Hour, "Nov 26, 2026"},
		{-time.Hour, "Dec 4, 2026"}, // a clock ahead of ours: no "in 1 hour ago"
	}
	for _, tt := range tests {
		m := Moment{At: now.Add(-tt.ago), Now: now}
		if got := m.text(); got != tt.want {
			t.Errorf("%v ago: %q, want %q", tt.ago, got, tt.want)
		}
	}
	m := Moment{At: now, Now: now}
	if m.iso() != "2026-12-04T12:00:00Z" || m.full() != "Fri, Dec 4, 2026 12:00 UTC" {
		t.Errorf("iso %q, full %q", m.iso(), m.full())
	}
}
