package handlers

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

func getEncoded(t *testing.T, h http.Handler, path, acceptEncoding string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// decoded is rec's body with its Content-Encoding undone.
func decoded(t *testing.T, rec *httptest.ResponseRecorder) []byte {
	t.Helper()
	var r io.Reader
	body := bytes.NewReader(rec.Body.Bytes())
	switch enc := rec.Header().Get("Content-Encoding"); enc {
	case "":
		return rec.Body.Bytes()
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(body)
		if err != nil {
			t.Fatalf("zstd: %v", err)
		}
		defer zr.Close()
		r = zr
	case "br":
		r = brotli.NewReader(body)
	default:
		t.Fatalf("unexpected Content-Encoding %q", enc)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s: %v", rec.Header().Get("Content-Encoding"), err)
	}
	return out
}

func varies(rec *httptest.ResponseRecorder) bool {
	for _, v := range rec.Header().Values("Vary") {
		if strings.Contains(strings.ToLower(v), "accept-encoding") {
			return true
		}
	}
	return false
}

// TestCompressionNegotiated: a page is compressed with what the client
// accepts (zstd first, then gzip), never without Accept-Encoding or
// against q=0, always with Vary, and decompresses to the same page.
func TestCompressionNegotiated(t *testing.T) {
	t.Parallel()
	_, router := newTestHandlers(t, nil)
	plain := getEncoded(t, router, "/", "")
	if plain.Code != 200 || plain.Body.Len() < 1024 {
		t.Fatalf("GET / = %d with %d bytes; the test needs a page over the threshold", plain.Code, plain.Body.Len())
	}
	for _, tt := range []struct{ accept, want string }{
		{"", ""},
		{"gzip", "gzip"},
		{"gzip, deflate", "gzip"},
		{"zstd", "zstd"},
		{"gzip, deflate, br, zstd", "zstd"},
		{"gzip;q=0", ""},
		{"identity", ""},
		{"br", ""}, // brotli only for static files, precompressed
	} {
		rec := getEncoded(t, router, "/", tt.accept)
		if got := rec.Header().Get("Content-Encoding"); got != tt.want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tt.accept, got, tt.want)
		}
		if !varies(rec) {
			t.Errorf("Accept-Encoding %q: Vary = %q, want Accept-Encoding", tt.accept, rec.Header().Values("Vary"))
		}
		if tt.want != "" {
			if cl := rec.Header().Get("Content-Length"); cl != "" {
				t.Errorf("Accept-Encoding %q: compressed answer keeps Content-Length %s", tt.accept, cl)
			}
			if rec.Body.Len() >= plain.Body.Len()/2 {
				t.Errorf("Accept-Encoding %q: %d bytes compressed of %d", tt.accept, rec.Body.Len(), plain.Body.Len())
			}
		}
		if got := decoded(t, rec); !bytes.Equal(got, plain.Body.Bytes()) {
			t.Errorf("Accept-Encoding %q: the body does not decompress to the page", tt.accept)
		}
	}
}

// TestTinyBodiesGoAsTheyAre: below the threshold compression costs more
// than it saves.
func TestTinyBodiesGoAsTheyAre(t *testing.T) {
	t.Parallel()
	_, router := newTestHandlers(t, func(context.Context) error { return nil })
	for _, path := range []string{"/healthz", "/readyz"} {
		rec := getEncoded(t, router, path, "gzip, zstd")
		if rec.Body.Len() >= 1024 {
			t.Fatalf("%s is %d bytes; the test needs a tiny body", path, rec.Body.Len())
		}
		if enc := rec.Header().Get("Content-Encoding"); enc != "" {
			t.Errorf("%s (%d bytes) was compressed with %s", path, rec.Body.Len(), enc)
		}
	}
}

// TestWebhookAnswersSkipCompression: a webhook answer is a few bytes to
// Svix; it bypasses the compressing middleware altogether (which would
// have added Vary), while its neighbours still go through it.
func TestWebhookAnswersSkipCompression(t *testing.T) {
	t.Parallel()
	_, router := newTestHandlers(t, func(context.Context) error { return nil })
	req := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", strings.NewReader("{}"))
	req.Header.Set("Accept-Encoding", "gzip, zstd")
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	if rec.Code/100 == 2 || rec.Body.Len() == 0 {
		t.Fatalf("unsigned delivery: %d %q, want a JSON refusal", rec.Code, rec.Body)
	}
	if varies(rec) || rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("the webhook answer went through compression: Vary %q, Content-Encoding %q", rec.Header().Values("Vary"), rec.Header().Get("Content-Encoding"))
	}
	if health := getEncoded(t, router, "/healthz", "gzip"); !varies(health) {
		t.Error("/healthz no longer goes through the compressing middleware")
	}
}

// TestStaticThroughTheRouter: a precompressed variant passes the
// compressing middleware untouched; a client accepting only zstd gets the
// file compressed on the fly.
func TestStaticThroughTheRouter(t *testing.T) {
	t.Parallel()
	h, router := newTestHandlers(t, nil)
	url := h.pages.assets.URL("css/app.css")
	plain := getEncoded(t, router, url, "")
	for _, tt := range []struct{ accept, want string }{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"zstd", "zstd"},
	} {
		rec := getEncoded(t, router, url, tt.accept)
		if got := rec.Header().Get("Content-Encoding"); got != tt.want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tt.accept, got, tt.want)
		}
		if !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") {
			t.Errorf("Accept-Encoding %q: Cache-Control %q, Content-Type %q", tt.accept, rec.Header().Get("Cache-Control"), rec.Header().Get("Content-Type"))
		}
		if got := decoded(t, rec); !bytes.Equal(got, plain.Body.Bytes()) {
			t.Errorf("Accept-Encoding %q: the body does not decompress to app.css", tt.accept)
		}
	}
}
