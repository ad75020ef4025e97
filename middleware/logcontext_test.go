package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/slogtest"

	"example.com/saas/models"
)

// jsonLogger returns a logger on LogHandler writing JSON lines to buf.
func jsonLogger(buf *bytes.Buffer, level slog.Level) *slog.Logger {
	return slog.New(NewLogHandler(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: level})))
}

// decodeLines parses each JSON line of buf.
func decodeLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// requestContext is a request's context once RequestID, AccessLog, Auth and
// RequireOrgMember have run.
func requestContext() context.Context {
	ctx := withLogIDs(models.WithRequestID(context.Background(), "req_1"), &LogIDs{})
	NoteUser(ctx, "user_1")
	NoteOrg(ctx, "org_1")
	return ctx
}

func TestLogHandlerAddsTheContextIDs(t *testing.T) {
	var buf bytes.Buffer
	jsonLogger(&buf, slog.LevelInfo).InfoContext(requestContext(), "hello", slog.String("key", "value"))
	lines := decodeLines(t, &buf)
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1", len(lines))
	}
	want := map[string]string{"request_id": "req_1", "user_id": "user_1", "org_id": "org_1", "key": "value", "msg": "hello"}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("%s = %v, want %q (line %v)", k, lines[0][k], v, lines[0])
		}
	}
}

func TestLogHandlerWithoutIDs(t *testing.T) {
	contexts := map[string]context.Context{
		"background":       context.Background(),
		"no user or org":   withLogIDs(context.Background(), &LogIDs{}),
		"request id alone": models.WithRequestID(context.Background(), "req_1"),
	}
	for name, ctx := range contexts {
		var buf bytes.Buffer
		jsonLogger(&buf, slog.LevelInfo).InfoContext(ctx, "hello")
		line := decodeLines(t, &buf)[0]
		for _, k := range []string{"user_id", "org_id"} {
			if _, ok := line[k]; ok {
				t.Errorf("%s: line has %s: %v", name, k, line)
			}
		}
		_, hasRequestID := line["request_id"]
		if want := name == "request id alone"; hasRequestID != want {
			t.Errorf("%s: request_id present = %v, want %v: %v", name, hasRequestID, want, line)
		}
	}
}

func TestLogHandlerKeepsWrappingWithAttrsAndGroups(t *testing.T) {
	var buf bytes.Buffer
	log := jsonLogger(&buf, slog.LevelInfo)
	with := log.With(slog.String("component", "billing"))
	if _, ok := with.Handler().(*LogHandler); !ok {
		t.Fatalf("With returned a %T, want *LogHandler", with.Handler())
	}
	grouped := log.WithGroup("job")
	if _, ok := grouped.Handler().(*LogHandler); !ok {
		t.Fatalf("WithGroup returned a %T, want *LogHandler", grouped.Handler())
	}
	with.InfoContext(requestContext(), "charged")
	grouped.InfoContext(requestContext(), "ran", slog.Int("attempt", 2))
	lines := decodeLines(t, &buf)
	if lines[0]["component"] != "billing" || lines[0]["request_id"] != "req_1" || lines[0]["user_id"] != "user_1" {
		t.Errorf("With: line %v lacks its attribute or the ids", lines[0])
	}
	job, _ := lines[1]["job"].(map[string]any)
	if job["attempt"] != 2.0 || job["request_id"] != "req_1" || job["org_id"] != "org_1" {
		t.Errorf("WithGroup: line %v lacks its group or the ids in it", lines[1])
	}
}

func TestLogHandlerAddsIDsOnce(t *testing.T) {
	var buf bytes.Buffer
	h := NewLogHandler(NewLogHandler(slog.NewTextHandler(&buf, nil)))
	slog.New(h).With("a", 1).InfoContext(requestContext(), "hello")
	if n := strings.Count(buf.String(), "request_id="); n != 1 {
		t.Errorf("request_id appears %d times: %s", n, buf.String())
	}
}

func TestLogHandlerEnabledDelegates(t *testing.T) {
	var buf bytes.Buffer
	log := jsonLogger(&buf, slog.LevelWarn)
	if log.Enabled(context.Background(), slog.LevelInfo) || !log.Enabled(context.Background(), slog.LevelWarn) {
		t.Error("Enabled does not follow the wrapped handler's level")
	}
	log.InfoContext(requestContext(), "dropped")
	if buf.Len() != 0 {
		t.Errorf("info line written below the warn level: %s", buf.String())
	}
}

// TestLogHandlerConforms runs the standard library's handler checks on a
// LogHandler (their records carry no request context, so they pass through).
func TestLogHandlerConforms(t *testing.T) {
	var buf bytes.Buffer
	h := NewLogHandler(slog.NewJSONHandler(&buf, nil))
	err := slogtest.TestHandler(h, func() []map[string]any {
		return decodeLines(t, &buf)
	})
	if err != nil {
		t.Error(err)
	}
}

// TestLogHandlerWithTheMiddleware: a handler's own line and the access log
// both carry the ids that the middleware learned during the request; what
// the handler noted (NoteAttrs) is on the access line, with its fields, and
// on no other line.
func TestLogHandlerWithTheMiddleware(t *testing.T) {
	var buf bytes.Buffer
	log := jsonLogger(&buf, slog.LevelInfo)
	h := RequestID(AccessLog(log)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		NoteUser(r.Context(), "user_1")
		NoteOrg(r.Context(), "org_1")
		NoteAttrs(r.Context(), slog.String("outcome", "applied"))
		log.InfoContext(r.Context(), "handled")
		w.WriteHeader(http.StatusAccepted)
	})))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Request-Id", "req_1")
	h.ServeHTTP(httptest.NewRecorder(), req)
	lines := decodeLines(t, &buf)
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want the handler's and the access log's", len(lines))
	}
	for _, line := range lines {
		if line["request_id"] != "req_1" || line["user_id"] != "user_1" || line["org_id"] != "org_1" {
			t.Errorf("line %v lacks the request's ids", line)
		}
	}
	if _, ok := lines[0]["outcome"]; ok {
		t.Errorf("the handler's own line %v carries the access line's attrs", lines[0])
	}
	if access := lines[1]; access["msg"] != "request" || access["outcome"] != "applied" || access["status"] != float64(http.StatusAccepted) {
		t.Errorf("access line = %v, want the request's fields and outcome=applied", access)
	}
}
