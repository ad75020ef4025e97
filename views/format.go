package views

import (
	"strconv"
	"time"
)

func itoa(n int) string { return strconv.Itoa(n) }

// Moment is a time shown to people: relative while recent ("3 minutes
// ago"), a date after that, the full time in its title. The server renders
// it in UTC, the one zone it knows; static/js/app.js rewrites it in the
// viewer's zone and keeps the relative text current.
type Moment struct {
	At time.Time
	// Now is when the page was rendered (zero: time.Now()).
	Now time.Time
}

// At is a Moment rendered now.
func At(t time.Time) Moment { return Moment{At: t} }

func (m Moment) iso() string { return m.At.UTC().Format(time.RFC3339) }

func (m Moment) full() string { return m.At.UTC().Format("Mon, Jan 2, 2006 15:04 UTC") }

// text is what the page shows before app.js runs (and without it).
func (m Moment) text() string {
	now := m.Now
	if now.IsZero() {
		now = time.Now()
	}
	d := now.Sub(m.At)
	switch {
	case d < 0 || m.At.IsZero():
		return m.At.UTC().Format("Jan 2, 2006")
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 7*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	default:
		return m.At.UTC().Format("Jan 2, 2006")
	}
}

// plural is "1 task", "2 tasks": a count with its noun, never "task(s)".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return itoa(n) + " " + noun + "s"
}
