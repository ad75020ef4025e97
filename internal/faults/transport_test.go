package faults_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"example.com/saas/internal/apptest"
)

// TestSlowClientIsCutOff opens a connection and sends a request line and
// half a header, then nothing (slowloris): the server closes the connection
// (ReadHeaderTimeout) instead of holding it forever.
func TestSlowClientIsCutOff(t *testing.T) {
	s := apptest.Start(t, apptest.Options{})
	c, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")); err != nil {
		t.Fatal(err)
	}
	// The deadline only stops a hang; the server's own timeout is shorter.
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err = bufio.NewReader(c).ReadString('\n')
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server kept a connection with an unfinished header open")
	}
	// Closed without an answer, or answered with an error status and closed.
	if err == nil {
		t.Log("the server answered the unfinished request before closing")
	}
}

// TestHTTPSSessionCookiesAreSecure serves with an https BASE_URL (TLS ends
// at a proxy in front): the app session cookie it sets after verifying a
// Clerk session is Secure, HttpOnly and SameSite=Lax, and responses carry
// HSTS.
func TestHTTPSSessionCookiesAreSecure(t *testing.T) {
	t.Parallel()
	// The public URL is https; the test talks to the app's own listener,
	// as the TLS-terminating proxy would.
	s := apptest.StartSynced(t, apptest.Options{Env: map[string]string{"BASE_URL": "https://app.example.test"}})
	_, token := s.Session(t, apptest.Alice, apptest.Acme)

	// What a browser signed in with Clerk sends: the dev browser, the
	// client's last sign-in time and the session token.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/orgs", nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Sec-Fetch-Dest", "document")
	req.AddCookie(&http.Cookie{Name: "__clerk_db_jwt", Value: "dvb_test"})
	req.AddCookie(&http.Cookie{Name: "__client_uat", Value: "1"})
	req.AddCookie(&http.Cookie{Name: "__session", Value: token})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /orgs with a Clerk session = %d", resp.StatusCode)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Errorf("no HSTS over https: %q", hsts)
	}
	var app *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "app_session" {
			app = c
		}
	}
	if app == nil || !app.Secure || !app.HttpOnly || app.SameSite != http.SameSiteLaxMode {
		t.Errorf("app session cookie = %+v, want Secure, HttpOnly, SameSite=Lax", app)
	}
}
