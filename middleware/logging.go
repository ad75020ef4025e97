package middleware

import (
	"log/slog"
	"net/http"
	"time"
)

// StatusRecorder remembers the status and size a handler writes, for
// access logs and metrics (the app's, the gateway's, a service's).
type StatusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

// NewStatusRecorder wraps w.
func NewStatusRecorder(w http.ResponseWriter) *StatusRecorder {
	return &StatusRecorder{ResponseWriter: w}
}

// Status is the status written (200 when the handler wrote none).
func (s *StatusRecorder) Status() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}

// Bytes is the size of the body written.
func (s *StatusRecorder) Bytes() int { return s.bytes }

func (s *StatusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *StatusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (a
// reverse proxy flushing a stream, for one).
func (s *StatusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// AccessLog writes one structured line per request, after it is served,
// with the request, user and organization ids known by then (added by a
// logger built on LogHandler) and what the handler noted (NoteAttrs). It
// runs after RequestID and before Recover, so a recovered panic is logged
// as a 500.
// Query strings are not logged: they can carry handshake tokens.
func AccessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := NewStatusRecorder(w)
			ids := &LogIDs{}
			ctx := withLogIDs(r.Context(), ids)
			next.ServeHTTP(rec, r.WithContext(ctx))
			level := slog.LevelInfo
			if rec.Status() >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(ctx, level, "request", append([]slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.Status()),
				slog.Int("bytes", rec.Bytes()),
				slog.Duration("duration", time.Since(start)),
			}, ids.access...)...)
		})
	}
}
