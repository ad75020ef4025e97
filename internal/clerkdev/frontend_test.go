package clerkdev

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2/jwks"
	sdksession "github.com/clerk/clerk-sdk-go/v2/session"
	sdkuser "github.com/clerk/clerk-sdk-go/v2/user"
	jose "github.com/go-jose/go-jose/v3"
)

const appURL = "http://localhost:8080/dashboard?tab=1"

// browser is a cookie-jar client that does not follow redirects (no JavaScript).
type browser struct {
	t *testing.T
	e *testEnv
	c *http.Client
}

func newBrowser(t *testing.T, e *testEnv) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, e: e, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.e.srv.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.e.srv.URL+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// handshakeResult is what the app would receive from one handshake.
type handshakeResult struct {
	location   *url.URL
	directives []string
	cookies    map[string]string // name → value, last directive wins
}

// handshake runs GET /v1/client/handshake and verifies the returned payload's signature
// against the emulator's JWKS.
func (b *browser) handshake(params url.Values) handshakeResult {
	b.t.Helper()
	if params.Get("redirect_url") == "" {
		params.Set("redirect_url", appURL)
	}
	resp, _ := b.get("/v1/client/handshake?" + params.Encode())
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Cache-Control") != "no-store" {
		b.t.Fatalf("handshake = %d cache %q, want 307 no-store", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		b.t.Fatal(err)
	}
	if !strings.HasPrefix(loc.String(), "http://localhost:8080/dashboard?") || loc.Query().Get("tab") != "1" {
		b.t.Fatalf("Location = %s, want the app URL with its query kept", loc)
	}
	res := handshakeResult{location: loc, cookies: map[string]string{}}
	if tok := loc.Query().Get("__clerk_handshake"); tok != "" {
		res.directives = b.verifyHandshake(tok)
	}
	for _, d := range res.directives {
		name, rest, _ := strings.Cut(d, "=")
		value, _, _ := strings.Cut(rest, ";")
		res.cookies[name] = value
	}
	return res
}

func (b *browser) verifyHandshake(tok string) []string {
	b.t.Helper()
	sig, err := jose.ParseSigned(tok)
	if err != nil {
		b.t.Fatal(err)
	}
	hdr := sig.Signatures[0].Header
	if hdr.Algorithm != "RS256" || hdr.ExtraHeaders["typ"] != "JWT" {
		b.t.Errorf("handshake header = %+v, want RS256 and typ JWT", hdr)
	}
	set, err := jwks.NewClient(b.e.sdk()).Get(context.Background(), &jwks.GetParams{})
	if err != nil {
		b.t.Fatal(err)
	}
	for _, k := range set.Keys {
		if k.KeyID == hdr.KeyID {
			payload, err := sig.Verify(k.Key)
			if err != nil {
				b.t.Fatalf("handshake signature: %v", err)
			}
			var p struct {
				Handshake []string `json:"handshake"`
			}
			if err := json.Unmarshal(payload, &p); err != nil {
				b.t.Fatal(err)
			}
			return p.Handshake
		}
	}
	b.t.Fatalf("handshake kid %s not in the JWKS", hdr.KeyID)
	return nil
}

func TestHostedSignInRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	b := newBrowser(t, e)

	// 1. No dev browser: signed out, and a new dev browser comes back.
	hs := b.handshake(url.Values{"__clerk_hs_reason": {"dev-browser-missing"}, "format": {"token"}})
	db := hs.cookies["__clerk_db_jwt"]
	if !strings.HasPrefix(db, "dvb_") || hs.cookies["__session"] != "" || hs.cookies["__client_uat"] != "0" {
		t.Fatalf("first handshake cookies = %v, want signed out with a new dev browser", hs.cookies)
	}
	for _, d := range hs.directives {
		if strings.Contains(strings.ToLower(d), "domain=") {
			t.Errorf("directive %q has a Domain, want host-only", d)
		}
	}

	// 2. The sign-in page has the form and carries the dev browser and redirect.
	q := url.Values{"redirect_url": {appURL}, "__clerk_db_jwt": {db}}
	resp, body := b.get("/sign-in?" + q.Encode())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /sign-in = %d", resp.StatusCode)
	}
	for _, want := range []string{`name="identifier"`, `name="password"`, `value="` + db + `"`, `action="/sign-in"`} {
		if !strings.Contains(body, want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("sign-in page has a script")
	}

	// 3. Wrong password: 422 and the form again.
	form := url.Values{"identifier": {"alice@example.com"}, "password": {"wrong"}, "redirect_url": {appURL}, "__clerk_db_jwt": {db}}
	resp, body = b.post("/sign-in", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "alice@example.com") {
		t.Fatalf("bad password = %d, want 422 with an error and the identifier kept", resp.StatusCode)
	}

	// 4. Right password: 303 back to the app with the dev browser.
	form.Set("password", SeedPassword)
	resp, _ = b.post("/sign-in", form)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("__clerk_db_jwt") != db || loc.Host != "localhost:8080" {
		t.Fatalf("good password = %d %s, want 303 to the app with __clerk_db_jwt", resp.StatusCode, loc)
	}

	// 5. Handshake with the dev browser: signed in.
	hs = b.handshake(url.Values{"__clerk_db_jwt": {db}, "__clerk_hs_reason": {"dev-browser-sync"}})
	claims, err := e.verify(hs.cookies["__session"])
	if err != nil {
		t.Fatalf("__session does not verify: %v (directives %v)", err, hs.directives)
	}
	uat, _ := strconv.ParseInt(hs.cookies["__client_uat"], 10, 64)
	if uat <= 0 || *claims.IssuedAt < uat {
		t.Errorf("client_uat = %d, iat = %d; want uat > 0 and iat >= uat", uat, *claims.IssuedAt)
	}
	if claims.Subject != seedID("user", "alice") || claims.AuthorizedParty != "http://localhost:8080" {
		t.Errorf("sub = %s azp = %s", claims.Subject, claims.AuthorizedParty)
	}
	if hs.cookies["__clerk_db_jwt"] != db {
		t.Errorf("db jwt changed: %s, want %s", hs.cookies["__clerk_db_jwt"], db)
	}

	// 6. The emulator's own cookie recognises the browser without the parameter.
	_, body = b.get("/sign-in")
	if !strings.Contains(body, `value="`+db+`"`) {
		t.Error("sign-in page without __clerk_db_jwt did not recognise the browser by its cookie")
	}

	// 7. Organization switch through the handshake.
	hs = b.handshake(url.Values{"__clerk_db_jwt": {db}, "organization_id": {"globex"}})
	claims, err = e.verify(hs.cookies["__session"])
	if err != nil || claims.ActiveOrganizationSlug != "globex" || claims.ActiveOrganizationRole != RoleMember {
		t.Fatalf("after organization_id=globex: %+v, %v", claims, err)
	}
	hs = b.handshake(url.Values{"__clerk_db_jwt": {db}, "organization_id": {seedID("org", "nope")}})
	claims, err = e.verify(hs.cookies["__session"])
	if err != nil || claims.ActiveOrganizationSlug != "globex" {
		t.Fatalf("unknown organization_id must keep globex: %+v, %v", claims, err)
	}

	// 8. Suffixed cookies.
	hs = b.handshake(url.Values{"__clerk_db_jwt": {db}, "suffixed_cookies": {"true"}})
	sfx := CookieSuffix(e.s.PublishableKey())
	for _, name := range []string{"__session", "__client_uat", "__clerk_db_jwt"} {
		if hs.cookies[name+"_"+sfx] == "" || hs.cookies[name+"_"+sfx] != hs.cookies[name] {
			t.Errorf("suffixed %s_%s = %q, want the same value as %s", name, sfx, hs.cookies[name+"_"+sfx], name)
		}
	}

	// 9. BAPI revoke: the next handshake says signed out.
	if _, err := sdksession.NewClient(e.sdk()).Revoke(context.Background(), &sdksession.RevokeParams{ID: claims.SessionID}); err != nil {
		t.Fatal(err)
	}
	hs = b.handshake(url.Values{"__clerk_db_jwt": {db}})
	if hs.cookies["__session"] != "" || hs.cookies["__client_uat"] != "0" {
		t.Fatalf("after revoke: %v, want signed out", hs.cookies)
	}
}

func TestRedirectURLValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	b := newBrowser(t, e)
	for _, path := range []string{"/v1/client/handshake", "/sign-in", "/sign-up", "/sign-out"} {
		for _, bad := range []string{"javascript:alert(1)", "/relative", "ftp://example.com/"} {
			resp, _ := b.get(path + "?redirect_url=" + url.QueryEscape(bad))
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("GET %s?redirect_url=%s = %d, want 400", path, bad, resp.StatusCode)
			}
		}
	}
	resp, _ := b.post("/sign-in", url.Values{"identifier": {"alice@example.com"}, "password": {SeedPassword}, "redirect_url": {"javascript:alert(1)"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST /sign-in with javascript: = %d, want 400", resp.StatusCode)
	}
}

func TestNonceHandshake(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{PreferNonceHandshake: true})
	b := newBrowser(t, e)
	hs := b.handshake(url.Values{"format": {"nonce"}})
	nonce := hs.location.Query().Get("__clerk_handshake_nonce")
	if nonce == "" || hs.location.Query().Has("__clerk_handshake") {
		t.Fatalf("Location = %s, want only __clerk_handshake_nonce", hs.location)
	}
	status, body := e.bapi(http.MethodGet, "/v1/clients/handshake_payload?nonce="+url.QueryEscape(nonce), nil)
	var p struct {
		Directives []string `json:"directives"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &p) != nil || len(p.Directives) == 0 {
		t.Fatalf("redeem = %d %s", status, body)
	}
	if !strings.Contains(strings.Join(p.Directives, "\n"), "__client_uat=0;") {
		t.Errorf("directives = %v, want signed out", p.Directives)
	}
	if status, _ := e.bapi(http.MethodGet, "/v1/clients/handshake_payload?nonce="+url.QueryEscape(nonce), nil); status != http.StatusNotFound {
		t.Errorf("second redemption = %d, want 404", status)
	}
	// Without format=nonce the token form is used even when nonces are preferred.
	hs = b.handshake(url.Values{})
	if len(hs.directives) == 0 {
		t.Error("token form handshake returned no directives")
	}
}

// A sign-up on the hosted page creates the user and signs in; invitations have their
// own tests (tickets_test.go).
func TestHostedSignUpSignInAndOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := context.Background()
	b := newBrowser(t, e)
	_, body := b.get("/sign-up?redirect_url=" + url.QueryEscape(appURL))
	if !strings.Contains(body, `name="identifier"`) || !strings.Contains(body, `name="first_name"`) || strings.Contains(body, "readonly") {
		t.Fatalf("sign-up page lacks the editable email or the name fields")
	}
	form := url.Values{"identifier": {"new@example.com"}, "password": {"s3cret-pass"}, "first_name": {"Nina"},
		"last_name": {"New"}, "redirect_url": {appURL}}
	resp, _ := b.post("/sign-up", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /sign-up = %d, want 303", resp.StatusCode)
	}
	list, err := sdkuser.NewClient(e.sdk()).List(ctx, &sdkuser.ListParams{EmailAddresses: []string{"new@example.com"}})
	if err != nil || len(list.Users) != 1 || *list.Users[0].FirstName != "Nina" {
		t.Fatalf("user after sign-up = %+v, %v", list, err)
	}
	resp, body = b.post("/sign-up", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "taken") {
		t.Fatalf("second sign-up = %d, want 422 email taken", resp.StatusCode)
	}

	// The new password works on the sign-in page, and sign-out ends the session.
	db := newDevBrowserFromLocation(t, b)
	resp, body = b.get("/sign-out?" + url.Values{"redirect_url": {appURL}, "__clerk_db_jwt": {db}}.Encode())
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/sign-out"`) {
		t.Fatalf("GET /sign-out = %d", resp.StatusCode)
	}
	resp, _ = b.post("/sign-out", url.Values{"redirect_url": {appURL}, "__clerk_db_jwt": {db}})
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("__clerk_db_jwt") != db {
		t.Fatalf("POST /sign-out = %d %s", resp.StatusCode, loc)
	}
	hs := b.handshake(url.Values{"__clerk_db_jwt": {db}})
	if hs.cookies["__session"] != "" {
		t.Fatalf("after sign-out the handshake is signed in: %v", hs.cookies)
	}
}

// newDevBrowserFromLocation signs in as new@example.com and returns the dev browser.
func newDevBrowserFromLocation(t *testing.T, b *browser) string {
	t.Helper()
	resp, _ := b.post("/sign-in", url.Values{"identifier": {"new@example.com"}, "password": {"s3cret-pass"}, "redirect_url": {appURL}})
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("__clerk_db_jwt") == "" {
		t.Fatalf("sign-in = %d %s", resp.StatusCode, loc)
	}
	db := loc.Query().Get("__clerk_db_jwt")
	hs := b.handshake(url.Values{"__clerk_db_jwt": {db}})
	if hs.cookies["__session"] == "" {
		t.Fatal("not signed in after sign-in")
	}
	return db
}

func TestKeysAndSuffix(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, want string }{
		{"pk_test_Y2xlcmsuY2xlcmsuZGV2JA", "QvfNY2dr"},
		{"pk_live_Y2xlcmsuY2xlcmsuZGV2JA", "1Z8AzTQD"},
	}
	for _, tt := range tests {
		if got := CookieSuffix(tt.key); got != tt.want {
			t.Errorf("CookieSuffix(%s) = %s, want %s", tt.key, got, tt.want)
		}
	}
	e := newEnv(t, Config{})
	pk := e.s.PublishableKey()
	parts := strings.Split(pk, "_")
	host, err := base64.RawStdEncoding.DecodeString(parts[2])
	u, _ := url.Parse(e.srv.URL)
	if len(parts) != 3 || parts[0] != "pk" || parts[1] != "test" || err != nil || string(host) != u.Host+"$" {
		t.Fatalf("PublishableKey() = %s (%q, %v), want pk_test_ + base64(%s$)", pk, host, err, u.Host)
	}
	e.s.SetBaseURL("http://localhost:9999/")
	if e.s.BaseURL() != "http://127.0.0.1:9999" {
		t.Errorf("SetBaseURL(localhost) → %s, want http://127.0.0.1:9999", e.s.BaseURL())
	}
}
