package middleware

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"example.com/saas/models"
)

// statusRecorder remembers the status and size written, for access logs.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// AccessLog writes one structured line per request, after it is served,
// with the request, user and organization ids known by then. It runs after
// RequestID and before Recover, so a recovered panic is logged as a 500.
// Query strings are not logged: they can carry handshake tokens.
func AccessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &statusRecorder{ResponseWriter: w}
			ids := &LogIDs{}
			next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), logIDsKey{}, ids)))
			level := slog.LevelInfo
			if rec.status >= 500 {
				level = slog.LevelError
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.status),
				slog.Int("bytes", rec.bytes),
				slog.Duration("duration", time.Since(start)),
			}
			log.LogAttrs(r.Context(), level, "request", append(attrs, ids.attrs(r.Context())...)...)
		})
	}
}

// LogIDs collects the user and organization of a request as later middleware
// learns them, so the access log written by an outer middleware can show them.
type LogIDs struct {
	UserID string
	OrgID  string
}

type logIDsKey struct{}

// NoteUser records the user id for the access log.
func NoteUser(ctx context.Context, userID string) {
	if ids, ok := ctx.Value(logIDsKey{}).(*LogIDs); ok {
		ids.UserID = userID
	}
}

// NoteOrg records the organization id for the access log.
func NoteOrg(ctx context.Context, orgID string) {
	if ids, ok := ctx.Value(logIDsKey{}).(*LogIDs); ok {
		ids.OrgID = orgID
	}
}

func (ids *LogIDs) attrs(ctx context.Context) []slog.Attr {
	var out []slog.Attr
	if id, ok := models.RequestIDFrom(ctx); ok {
		out = append(out, slog.String("request_id", id))
	}
	if ids.UserID != "" {
		out = append(out, slog.String("user_id", ids.UserID))
	}
	if ids.OrgID != "" {
		out = append(out, slog.String("org_id", ids.OrgID))
	}
	return out
}

// LogAttrs returns the request, user and organization ids known for ctx,
// for handlers that log their own lines.
func LogAttrs(ctx context.Context) []any {
	var out []any
	if id, ok := models.RequestIDFrom(ctx); ok {
		out = append(out, slog.String("request_id", id))
	}
	if ids, ok := ctx.Value(logIDsKey{}).(*LogIDs); ok {
		if ids.UserID != "" {
			out = append(out, slog.String("user_id", ids.UserID))
		}
		if ids.OrgID != "" {
			out = append(out, slog.String("org_id", ids.OrgID))
		}
	}
	return out
}
