package handlers

import "time"

// formatTime shows a time in UTC, the one zone the server knows for sure.
func formatTime(t time.Time) string {
	return t.UTC().Format("Jan 2, 2006 15:04 UTC")
}

// orDefault is s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
