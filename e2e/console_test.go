package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Journey 6 is not one test: every tab of every journey fails its test on a
// console error, an uncaught exception or a CSP violation (see Tab.observe),
// and TestScreenshotTour visits every main page. This test proves the watch
// itself sees each kind of problem, so a green run means something.
func TestConsoleWatchCatchesErrorsAndCSPViolations(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; img-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>watch</title>
<script>window.inlineRan = true</script>
<img src="http://127.0.0.2:1/blocked.png" alt="">
<script src="/app.js"></script>
<p id="done">done</p>`))
	})
	mux.HandleFunc("/app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write([]byte(`console.error("boom from app.js");
setTimeout(function () { throw new Error("uncaught from app.js"); }, 0);`))
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()

	tab := NewBrowser(t, ts.URL, "").Tab()
	tab.Open(ts.URL + "/")
	tab.WaitVisible("#done")
	want := []string{
		// The browser's own reports (Log domain, source "security")...
		"log security/error: Executing inline script violates",
		"log security/error: Loading the image 'http://127.0.0.2:1/blocked.png' violates",
		// ...and the securitypolicyviolation events, via cspReporter.
		"CSP violation: script-src-elem blocked inline",
		"CSP violation: img-src blocked http://127.0.0.2:1/blocked.png",
		"console.error: boom from app.js",
		"uncaught exception: Uncaught Error: uncaught from app.js",
	}
	var got []string
	for range 50 { // the exception comes from a timer; give it a moment
		got = append(got, tab.drainProblems()...)
		if allSeen(got, want) {
			break
		}
		Eval[bool](tab, `new Promise(r => setTimeout(() => r(true), 20))`)
	}
	for _, w := range want {
		if !contains(got, w) {
			t.Errorf("the console watch missed %q; it saw:\n%s", w, strings.Join(got, "\n"))
		}
	}
	if Eval[bool](tab, `window.inlineRan === true`) {
		t.Error("the inline script ran: the policy was not applied")
	}
}

func allSeen(got, want []string) bool {
	for _, w := range want {
		if !contains(got, w) {
			return false
		}
	}
	return true
}
