package middleware

import (
	"context"
	"log/slog"

	"example.com/saas/models"
)

// LogIDs collects the user and organization of a request as later middleware
// learns them (NoteUser, NoteOrg), so every log line of the request, the
// access log written by an outer middleware included, can show them; and
// what a handler adds to the access log line alone (NoteAttrs).
type LogIDs struct {
	UserID string
	OrgID  string
	access []slog.Attr
}

type logIDsKey struct{}

// withLogIDs returns a context carrying ids, for NoteUser, NoteOrg and
// LogHandler.
func withLogIDs(ctx context.Context, ids *LogIDs) context.Context {
	return context.WithValue(ctx, logIDsKey{}, ids)
}

// NoteUser records the user id for the request's log lines.
func NoteUser(ctx context.Context, userID string) {
	if ids, ok := ctx.Value(logIDsKey{}).(*LogIDs); ok {
		ids.UserID = userID
	}
}

// NoteOrg records the organization id for the request's log lines.
func NoteOrg(ctx context.Context, orgID string) {
	if ids, ok := ctx.Value(logIDsKey{}).(*LogIDs); ok {
		ids.OrgID = orgID
	}
}

// NoteAttrs adds attrs to the request's access log line: what the handler
// learned that the line should say (a webhook's event type and outcome)
// costs no line of its own, which on a busy endpoint is a write per request.
func NoteAttrs(ctx context.Context, attrs ...slog.Attr) {
	if ids, ok := ctx.Value(logIDsKey{}).(*LogIDs); ok {
		ids.access = append(ids.access, attrs...)
	}
}

// LogHandler is an slog.Handler that adds the request, user and organization
// ids known for a record's context (request_id, user_id, org_id) to every
// record, so each log.XxxContext(ctx, …) call of a request carries them
// without the caller listing them. Records logged without a context, or
// outside a request, pass through unchanged. The ids are added to the record
// itself: under a logger's WithGroup they land in that group.
type LogHandler struct {
	next slog.Handler
}

// NewLogHandler wraps next in a LogHandler. Wrapping a LogHandler again
// returns it as is, so the ids are never added twice.
func NewLogHandler(next slog.Handler) slog.Handler {
	if h, ok := next.(*LogHandler); ok {
		return h
	}
	return &LogHandler{next: next}
}

// Enabled reports whether the wrapped handler logs at level.
func (h *LogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds the context's ids to r and passes it to the wrapped handler.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	var buf [3]slog.Attr
	if attrs := appendLogIDs(ctx, buf[:0]); len(attrs) > 0 {
		r = r.Clone()
		r.AddAttrs(attrs...)
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a LogHandler around the wrapped handler with attrs.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &LogHandler{next: h.next.WithAttrs(attrs)}
}

// WithGroup returns a LogHandler around the wrapped handler with the group.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	return &LogHandler{next: h.next.WithGroup(name)}
}

// appendLogIDs appends the ids known for ctx to out, leaving out the
// unknown ones.
func appendLogIDs(ctx context.Context, out []slog.Attr) []slog.Attr {
	if ctx == nil {
		return out
	}
	if id, ok := models.RequestIDFrom(ctx); ok {
		out = append(out, slog.String("request_id", id))
	}
	ids, _ := ctx.Value(logIDsKey{}).(*LogIDs)
	if ids == nil {
		return out
	}
	if ids.UserID != "" {
		out = append(out, slog.String("user_id", ids.UserID))
	}
	if ids.OrgID != "" {
		out = append(out, slog.String("org_id", ids.OrgID))
	}
	return out
}
