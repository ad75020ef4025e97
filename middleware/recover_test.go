package middleware

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRecoverRendersErrorAndLogsStack(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(NewLogHandler(slog.NewTextHandler(&logs, nil)))
	var rendered error
	h := RequestID(AccessLog(log)(Recover(log, func(w http.ResponseWriter, r *http.Request, err error) {
		rendered = err
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("friendly page"))
	})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret internal state")
	}))))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	if rec.Code != 500 || rec.Body.String() != "friendly page" {
		t.Fatalf("response = %d %q", rec.Code, rec.Body)
	}
	if rendered == nil || !strings.Contains(rendered.Error(), "secret internal state") {
		t.Errorf("renderError got %v", rendered)
	}
	if !strings.Contains(logs.String(), "stack=") || !strings.Contains(logs.String(), "status=500") {
		t.Errorf("log lacks the stack or the 500 access line:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "request_id=") {
		t.Error("log lacks the request id")
	}
}

func TestRecoverRepanicsAbort(t *testing.T) {
	h := Recover(slog.Default(), func(http.ResponseWriter, *http.Request, error) {})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); !errors.Is(v.(error), http.ErrAbortHandler) {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	t.Error("ErrAbortHandler was swallowed")
}

func TestSecurityHeaders(t *testing.T) {
	for _, https := range []bool{false, true} {
		rec := httptest.NewRecorder()
		SecurityHeaders(https, "http://127.0.0.1:8081")(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		h := rec.Header()
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("https=%v: headers %v", https, h)
		}
		if got := h.Get("Strict-Transport-Security") != ""; got != https {
			t.Errorf("https=%v: HSTS present = %v", https, got)
		}
		if strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") {
			t.Error("CSP allows inline code")
		}
	}
}

func TestRequestIDKeepsOnlyWellFormedIDs(t *testing.T) {
	for in, keep := range map[string]bool{"abc-123_X": true, "": false, "a b": false, strings.Repeat("a", 65): false, "<script>": false} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("X-Request-Id", in)
		rec := httptest.NewRecorder()
		RequestID(http.NotFoundHandler()).ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-Id")
		if (got == in) != keep || got == "" {
			t.Errorf("X-Request-Id %q → %q (keep=%v)", in, got, keep)
		}
	}
}
