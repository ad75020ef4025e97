package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// credentials are what the load generator sends.
type credentials struct {
	token string
	iat   int64
}

// pageHeader returns the headers of a signed-in browser's page navigation:
// Clerk's cookies (__session, __client_uat, the dev browser) plus the
// cookies the app sets on the first visits (its own session), collected
// by following Set-Cookie until the app sets none, as a browser would.
func pageHeader(ctx context.Context, baseURL, path string, c credentials) (http.Header, []byte, error) {
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(baseURL)
	jar.SetCookies(u, []*http.Cookie{
		{Name: "__session", Value: c.token, Path: "/"},
		{Name: "__client_uat", Value: fmt.Sprint(c.iat), Path: "/"},
		// The middleware only needs a dev browser to be present.
		{Name: "__clerk_db_jwt", Value: "dvb_bench", Path: "/"},
	})
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	h := http.Header{"Accept": {"text/html,application/xhtml+xml"}, "Sec-Fetch-Dest": {"document"}}
	var body []byte
	for i := 0; ; i++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+path, nil)
		req.Header = h.Clone()
		resp, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, nil, fmt.Errorf("GET %s: status %d (%s)", path, resp.StatusCode, resp.Header.Get("Location"))
		}
		if len(resp.Cookies()) == 0 {
			break
		}
		if i == 5 {
			return nil, nil, fmt.Errorf("GET %s: still setting cookies after %d visits", path, i)
		}
	}
	var pairs []string
	for _, ck := range jar.Cookies(u) {
		pairs = append(pairs, ck.Name+"="+ck.Value)
	}
	h.Set("Cookie", strings.Join(pairs, "; "))
	return h, body, nil
}

// apiHeader is a mobile or service client's: the token as Bearer.
func apiHeader(c credentials) http.Header {
	return http.Header{"Authorization": {"Bearer " + c.token}, "Accept": {"application/json"}}
}

// fetch GETs path with h and returns the body of a 200.
func fetch(ctx context.Context, baseURL, path string, h http.Header) ([]byte, error) {
	b, _, err := get(ctx, baseURL, path, h)
	return b, err
}

// get GETs path with h, following no redirect, and returns the body of a
// 200 as sent with its Content-Encoding. A request that names its own
// Accept-Encoding gets the body undecoded from Go's transport.
func get(ctx context.Context, baseURL, path string, h http.Header) ([]byte, string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+path, nil)
	req.Header = h.Clone()
	client := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: status %d: %.200s", path, resp.StatusCode, b)
	}
	return b, resp.Header.Get("Content-Encoding"), nil
}

// wireBytes GETs path asking for encoding ("gzip", "zstd") and returns the
// body's size as sent and the encoding the server chose ("" for none).
func wireBytes(ctx context.Context, baseURL, path string, h http.Header, encoding string) (int, string, error) {
	h = h.Clone()
	h.Set("Accept-Encoding", encoding)
	b, got, err := get(ctx, baseURL, path, h)
	return len(b), got, err
}

func orNone(encoding string) string {
	if encoding == "" {
		return "identity"
	}
	return encoding
}
