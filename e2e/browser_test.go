// Package e2e drives the whole product in a real browser: Debian's chromium,
// headless, through chromedp, against the stack apptest starts (fresh
// database, Clerk emulator in-process, app on a free port). Every tab fails
// its test on a console error, an uncaught exception or a Content Security
// Policy violation.
package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium; .ci/run installs it with apt-get. A
// variable so a check of the missing-browser failure can point it elsewhere
// (go test -ldflags=-X=example.com/saas/e2e.chromiumPath=/nowhere).
var chromiumPath = "/usr/bin/chromium"

// waitTimeout bounds every single browser step (a navigation, a wait, a
// click): long enough for a handshake chain under -race, short enough that a
// broken journey fails in seconds rather than minutes.
const waitTimeout = 15 * time.Second

var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserErr    error
	browserCancel = func() {}
)

func TestMain(m *testing.M) {
	// Failure screenshots of an earlier run would mislead.
	old, _ := filepath.Glob(filepath.Join(artifactsDir(), "failure-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	code := m.Run()
	browserCancel()
	os.Exit(code)
}

// rootBrowser starts the one chromium process of the test binary; every
// journey gets its own browser context (profile) and tabs in it.
func rootBrowser(t *testing.T) context.Context {
	t.Helper()
	browserOnce.Do(func() {
		if fi, err := os.Stat(chromiumPath); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			browserErr = fmt.Errorf("%s not found: the browser tests need Debian's chromium (see the README's prerequisites: apt-get install postgresql pgbouncer chromium git make)", chromiumPath)
			return
		}
		dir, err := os.MkdirTemp("", "e2e-chromium-")
		if err != nil {
			browserErr = err
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(chromiumPath),
			chromedp.UserDataDir(dir),
			chromedp.NoSandbox, // as root on CI machines
			chromedp.Headless,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			// This machine's network is closed: without these, chromium
			// keeps trying to reach Google's hosts.
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints,IsolateOrigins,site-per-process,PaintHolding"),
			// One renderer per tab, not per site: fewer processes for the
			// two shared cores (the app and the emulator are two sites).
			chromedp.Flag("disable-site-isolation-trials", true),
			chromedp.Flag("disable-smooth-scrolling", true),
			chromedp.Flag("password-store", "basic"),
			chromedp.Flag("use-mock-keychain", true),
			chromedp.WindowSize(1280, 800),
		}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(allocCtx)
		browserCancel = func() {
			cancelCtx()
			cancelAlloc()
			os.RemoveAll(dir)
		}
		// The first Do starts the browser; its context must have no timeout.
		if err := chromedp.Do(ctx); err != nil {
			browserErr = fmt.Errorf("start %s: %w", chromiumPath, err)
			return
		}
		browserCtx = ctx
	})
	if browserErr != nil {
		t.Fatal(browserErr)
	}
	return browserCtx
}

// Browser is one user's browser: a fresh profile (cookies, storage) shared by
// its tabs, as two windows of one person's browser share their sign-in.
type Browser struct {
	t   *testing.T
	ctx context.Context
	// app and emu are the stack's base URLs, for messages and assertions.
	app, emu string
	first    *Tab
	tabs     int
}

// NewBrowser opens a fresh profile with one tab; it is closed when the test
// ends.
func NewBrowser(t *testing.T, appURL, emuURL string) *Browser {
	t.Helper()
	ctx, cancel := chromedp.NewContext(rootBrowser(t), chromedp.WithNewBrowserContext())
	b := &Browser{t: t, ctx: ctx, app: appURL, emu: emuURL}
	t.Cleanup(cancel)
	b.first = b.attach(ctx)
	return b
}

// Tab returns the profile's first tab.
func (b *Browser) Tab() *Tab { return b.first }

// NewTab opens another tab in the same profile (same cookies).
func (b *Browser) NewTab() *Tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	return b.attach(ctx)
}

func (b *Browser) attach(ctx context.Context) *Tab {
	b.t.Helper()
	b.tabs++
	tab := &Tab{t: b.t, ctx: ctx, b: b, name: fmt.Sprintf("tab%d", b.tabs)}
	// The first Do opens the tab (and, for the first tab, the profile).
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a tab: %v", err)
	}
	if err := chromedp.Listen(ctx, tab.observe); err != nil {
		b.t.Fatalf("listen to the console: %v", err)
	}
	// A securitypolicyviolation event reaches the console even when the
	// browser's own report is worded differently from what observe expects.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: cspReporter,
	}); err != nil {
		b.t.Fatalf("install the CSP reporter: %v", err)
	}
	b.t.Cleanup(tab.CheckConsole)
	return tab
}

// cspReporter runs before any page script (CDP-injected scripts are not
// subject to the page's policy) and turns each violation into a console error.
const cspReporter = `document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    " in " + e.sourceFile + ":" + e.lineNumber);
});`

// Tab is one browser tab with its console watch.
type Tab struct {
	t    *testing.T
	ctx  context.Context
	b    *Browser
	name string

	mu       sync.Mutex
	problems []string
	// allowed are patterns of browser log entries a step expects, such as
	// the "Failed to load resource … 404" that an intended 404 page logs.
	allowed []*regexp.Regexp
	shots   int
}

// observe runs in chromedp's event loop: it must be quick and run no command.
func (tab *Tab) observe(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				var s string
				if json.Unmarshal([]byte(a.Value), &s) == nil {
					parts = append(parts, s)
					continue
				}
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "uncaught exception: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		msg += " at " + d.URL
	case *log.EventEntryAdded:
		e := ev.Entry
		csp := e.Source == log.EntrySourceSecurity || e.Source == log.EntrySourceViolation && strings.Contains(e.Text, "Content Security Policy")
		if e.Level != log.EntryLevelError && !csp {
			return
		}
		if e.Source == log.EntrySourceViolation && !csp {
			return // performance "[Violation]" notes, not errors
		}
		msg = fmt.Sprintf("log %s/%s: %s (%s)", e.Source, e.Level, e.Text, e.URL)
	default:
		return
	}
	tab.mu.Lock()
	defer tab.mu.Unlock()
	for _, re := range tab.allowed {
		if re.MatchString(msg) {
			return
		}
	}
	tab.problems = append(tab.problems, msg)
}

// AllowLog accepts browser log entries matching pattern, for a step that
// expects them (an intended 403 or 404 page logs its status).
func (tab *Tab) AllowLog(pattern string) {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	tab.allowed = append(tab.allowed, regexp.MustCompile(pattern))
}

// allowStatus accepts the log entry Chromium writes for a document that
// answered with status (an intended error page).
func (tab *Tab) allowStatus(status int) {
	tab.AllowLog(fmt.Sprintf(`Failed to load resource: the server responded with a status of %d\b`, status))
}

// Problems returns what the console watch has seen so far.
func (tab *Tab) Problems() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.problems...)
}

// drainProblems returns and forgets what the console watch has seen.
func (tab *Tab) drainProblems() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	p := tab.problems
	tab.problems = nil
	return p
}

// CheckConsole fails the test on any console error, exception or CSP
// violation seen in the tab so far, and forgets them.
func (tab *Tab) CheckConsole() {
	tab.t.Helper()
	tab.mu.Lock()
	problems := tab.problems
	tab.problems = nil
	tab.mu.Unlock()
	for _, p := range problems {
		tab.t.Errorf("%s: browser console: %s", tab.name, p)
	}
}

// run runs one action with the per-step timeout and fails the test (with a
// screenshot of the tab) when it fails.
func run[T any](tab *Tab, what string, a chromedp.Action[T]) T {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tab.fail(what, err)
	}
	return v
}

func (tab *Tab) fail(what string, err error) {
	tab.t.Helper()
	where := tab.location()
	if shot := tab.failureShot(); shot != "" {
		where += ", screenshot " + shot
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("not done within %s", waitTimeout)
	}
	tab.t.Fatalf("%s: %s: %v (at %s)", tab.name, what, err, where)
}

func (tab *Tab) location() string {
	ctx, cancel := context.WithTimeout(tab.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown URL"
	}
	return loc
}

func (tab *Tab) failureShot() string {
	ctx, cancel := context.WithTimeout(tab.ctx, 3*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return ""
	}
	tab.shots++
	name := fmt.Sprintf("failure-%s-%s-%d.png", safeName(tab.t.Name()), tab.name, tab.shots)
	path, err := writeArtifact(name, png)
	if err != nil {
		return ""
	}
	return path
}

// Do runs steps that return nothing, failing the test on error.
func (tab *Tab) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	run(tab, what, chromedp.Steps(steps...))
}

// Open navigates to url (a path is taken relative to the app) and returns
// the final HTTP status after redirects.
func (tab *Tab) Open(url string) int64 {
	tab.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = tab.b.app + url
	}
	resp := run(tab, "open "+url, chromedp.NavigateResponse(url))
	if resp == nil {
		tab.t.Fatalf("%s: open %s: no response", tab.name, url)
	}
	return resp.Status
}

// Follow runs steps that start a navigation (a link click, a form
// submission), waits for the new page to load and returns its HTTP status.
func (tab *Tab) Follow(what string, steps ...chromedp.Action[chromedp.Void]) int64 {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, waitTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		tab.fail(what, err)
	}
	if resp == nil {
		tab.t.Fatalf("%s: %s: no response", tab.name, what)
	}
	return resp.Status
}

// Click clicks the first element matching css and waits for the page it
// leads to; it returns that page's HTTP status.
func (tab *Tab) Click(css string) int64 {
	tab.t.Helper()
	return tab.Follow("click "+css, chromedp.Click(chromedp.CSS(css)))
}

// ClickInPlace clicks without expecting a navigation (a menu, htmx).
func (tab *Tab) ClickInPlace(css string) {
	tab.t.Helper()
	tab.Do("click "+css, chromedp.Click(chromedp.CSS(css)))
}

// Fill types value into the field matching css, replacing what it held.
func (tab *Tab) Fill(css, value string) {
	tab.t.Helper()
	// Wait for the field, empty it (chromedp's Clear fails on an empty
	// textarea, SetValue on ""), then type like a person.
	tab.Do("fill "+css,
		chromedp.WaitVisible(chromedp.CSS(css)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsString(css)+`).value = ""`),
		chromedp.SendKeys(chromedp.CSS(css), value))
}

// WaitVisible waits until an element matching css is visible.
func (tab *Tab) WaitVisible(css string) {
	tab.t.Helper()
	tab.Do("wait for "+css, chromedp.WaitVisible(chromedp.CSS(css)))
}

// WaitTrue waits until the JavaScript expression is true in the page, as
// after an htmx swap that no selector alone tells apart.
func (tab *Tab) WaitTrue(expr string) {
	tab.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !Eval[bool](tab, "!!("+expr+")") {
		if time.Now().After(deadline) {
			tab.fail("wait for "+expr, context.DeadlineExceeded)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Text returns the visible text of the first element matching css.
func (tab *Tab) Text(css string) string {
	tab.t.Helper()
	return strings.TrimSpace(run(tab, "read "+css, chromedp.Text(chromedp.CSS(css))))
}

// TextContent returns the text of the first element matching css, visible or
// not (inside a closed menu).
func (tab *Tab) TextContent(css string) string {
	tab.t.Helper()
	return strings.TrimSpace(run(tab, "read "+css, chromedp.TextContent(chromedp.CSS(css))))
}

// Attr returns an attribute of the first element matching css.
func (tab *Tab) Attr(css, name string) string {
	tab.t.Helper()
	attrs := run(tab, "read attributes of "+css, chromedp.Attributes(chromedp.CSS(css)))
	return attrs[name]
}

// Count returns how many elements match css now, without waiting.
func (tab *Tab) Count(css string) int {
	tab.t.Helper()
	return run(tab, "count "+css, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(css)+`).length`))
}

// Texts returns the text of every element matching css now, without
// waiting: the visible text, or for a hidden element (in a closed menu) its
// text content with white space collapsed.
func (tab *Tab) Texts(css string) []string {
	tab.t.Helper()
	return run(tab, "read all "+css, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll(`+jsString(css)+`),
			e => (e.innerText.trim() || e.textContent.replace(/\s+/g, " ").trim()))`))
}

// BodyText returns the page's visible text.
func (tab *Tab) BodyText() string {
	tab.t.Helper()
	return run(tab, "read the page", chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
}

// URL returns the tab's current URL.
func (tab *Tab) URL() string {
	tab.t.Helper()
	return run(tab, "read the URL", chromedp.Location())
}

// Path returns the current URL's path when the tab is on the app, and fails
// the test when it is elsewhere.
func (tab *Tab) Path() string {
	tab.t.Helper()
	u := tab.URL()
	if !strings.HasPrefix(u, tab.b.app+"/") {
		tab.t.Fatalf("%s: at %s, want a page of the app %s", tab.name, u, tab.b.app)
	}
	p := strings.TrimPrefix(u, tab.b.app)
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return p
}

// Eval evaluates a JavaScript expression (promises awaited) in the page.
func Eval[T any](tab *Tab, expr string) T {
	tab.t.Helper()
	return run(tab, "evaluate "+expr, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// Call runs a DevTools protocol command on the tab.
func Call[P, R any](tab *Tab, cmd cdp.Command[P, R], params P) R {
	tab.t.Helper()
	return run(tab, cmd.Method, func(ctx context.Context, t *chromedp.Target) (R, error) {
		return cdp.Call(ctx, t, cmd, params)
	})
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func tid(id string) string { return `[data-testid="` + id + `"]` }

// artifactsDir is $E2E_ARTIFACTS, else e2e/artifacts (git-ignored).
func artifactsDir() string {
	if d := os.Getenv("E2E_ARTIFACTS"); d != "" {
		return d
	}
	return "artifacts"
}

func writeArtifact(name string, data []byte) (string, error) {
	dir := artifactsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, data, 0o644)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return strings.Trim(unsafeChars.ReplaceAllString(s, "-"), "-") }
