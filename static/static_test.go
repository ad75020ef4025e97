package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/andybalholm/brotli"
)

func newAssets(t *testing.T) *Assets {
	t.Helper()
	a, err := NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func get(t *testing.T, h http.Handler, url, acceptEncoding string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decode(t *testing.T, encoding string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch encoding {
	case "":
		return b
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	default:
		t.Fatalf("unexpected Content-Encoding %q", encoding)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s: %v", encoding, err)
	}
	return out
}

// TestURLsNameTheContent: the hash is in the file name, not a query.
func TestURLsNameTheContent(t *testing.T) {
	t.Parallel()
	a := newAssets(t)
	for name, pattern := range map[string]string{
		"css/app.css":     `^/static/css/app\.[0-9a-f]{12}\.css$`,
		"js/htmx.min.js":  `^/static/js/htmx\.min\.[0-9a-f]{12}\.js$`,
		"icons.svg":       `^/static/icons\.[0-9a-f]{12}\.svg$`,
		"favicon.svg":     `^/static/favicon\.[0-9a-f]{12}\.svg$`,
		"no/such/file.js": `^/static/no/such/file\.js$`,
	} {
		if got := a.URL(name); !regexp.MustCompile(pattern).MatchString(got) {
			t.Errorf("URL(%q) = %q, want %s", name, got, pattern)
		}
	}
}

// TestCaching: the current hash is cached for a year; the bare name (the
// old ?v= form included) and a stale hash get today's file for five
// minutes; anything else is a 404.
func TestCaching(t *testing.T) {
	t.Parallel()
	a := newAssets(t)
	h := a.Handler()
	current := a.URL("css/app.css")
	tests := []struct {
		url, wantCache string
		wantStatus     int
	}{
		{current, cacheImmutable, 200},
		{"/static/css/app.css", cacheShort, 200},
		{"/static/css/app.css?v=0123456789ab", cacheShort, 200},
		{"/static/css/app.0123456789ab.css", cacheShort, 200},
		{"/static/css/input.css", "", 404},
		{"/static/css/app.css.gz", "", 404},
		{"/static/css/", "", 404},
		{"/static/nothing.0123456789ab.js", "", 404},
	}
	for _, tt := range tests {
		rec := get(t, h, tt.url, "")
		if rec.Code != tt.wantStatus || rec.Header().Get("Cache-Control") != tt.wantCache {
			t.Errorf("GET %s = %d, Cache-Control %q; want %d, %q", tt.url, rec.Code, rec.Header().Get("Cache-Control"), tt.wantStatus, tt.wantCache)
		}
	}
	rec := get(t, h, current, "")
	if ct := rec.Header().Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if rec := get(t, h, a.URL("icons.svg"), ""); rec.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("icons.svg Content-Type = %q", rec.Header().Get("Content-Type"))
	}
}

// TestPrecompressedVariants: the variant the client accepts, marked with
// Content-Encoding and Vary, decompressing to the file itself.
func TestPrecompressedVariants(t *testing.T) {
	t.Parallel()
	a := newAssets(t)
	h := a.Handler()
	for _, name := range []string{"css/app.css", "js/app.js", "js/htmx.min.js", "icons.svg"} {
		want, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct{ accept, wantEncoding string }{
			{"", ""},
			{"gzip, deflate", "gzip"},
			{"gzip, deflate, br, zstd", "br"},
			{"br;q=0.5, gzip", "gzip"},
			{"br;q=0, gzip;q=0", ""},
			{"identity", ""},
			{"*", ""},
		} {
			rec := get(t, h, a.URL(name), tt.accept)
			if rec.Code != 200 {
				t.Fatalf("GET %s = %d", name, rec.Code)
			}
			if got := rec.Header().Get("Content-Encoding"); got != tt.wantEncoding {
				t.Errorf("%s with Accept-Encoding %q: Content-Encoding %q, want %q", name, tt.accept, got, tt.wantEncoding)
			}
			if rec.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("%s: Vary = %q", name, rec.Header().Values("Vary"))
			}
			if rec.Header().Get("Content-Type") == "" || rec.Header().Get("Cache-Control") != cacheImmutable {
				t.Errorf("%s: Content-Type %q, Cache-Control %q", name, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
			}
			if got := decode(t, tt.wantEncoding, rec.Body.Bytes()); !bytes.Equal(got, want) {
				t.Errorf("%s with %q: the body is not the file (%d bytes, want %d)", name, tt.accept, len(got), len(want))
			}
		}
	}
	// A small file has no variants, hence nothing to vary on.
	rec := get(t, h, a.URL("favicon.svg"), "gzip, br")
	if rec.Header().Get("Content-Encoding") != "" || rec.Header().Get("Vary") != "" {
		t.Errorf("favicon.svg: Content-Encoding %q, Vary %q", rec.Header().Get("Content-Encoding"), rec.Header().Get("Vary"))
	}
}

// TestPrecompressedAreCurrent fails when a file changed without `go
// generate ./static` (make css): its siblings would serve the old file.
func TestPrecompressedAreCurrent(t *testing.T) {
	t.Parallel()
	a := newAssets(t)
	for name, f := range a.files {
		if len(f.body) >= 1024 && len(f.variants) != len(encodings) {
			t.Errorf("%s has %d precompressed variants, want %d: run go generate ./static", name, len(f.variants), len(encodings))
		}
		for enc, b := range f.variants {
			if got := decode(t, enc, b); !bytes.Equal(got, f.body) {
				t.Errorf("%s's %s variant is stale: run go generate ./static and commit the result", name, enc)
			}
		}
	}
}

// TestConditionalGet: each variant has its own strong ETag, and asking
// with it answers 304 without a body.
func TestConditionalGet(t *testing.T) {
	t.Parallel()
	a := newAssets(t)
	h := a.Handler()
	url := a.URL("css/app.css")
	plain, br := get(t, h, url, ""), get(t, h, url, "br")
	if plain.Header().Get("ETag") == "" || plain.Header().Get("ETag") == br.Header().Get("ETag") {
		t.Fatalf("ETags %q and %q, want two different ones", plain.Header().Get("ETag"), br.Header().Get("ETag"))
	}
	req := httptest.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept-Encoding", "br")
	req.Header.Set("If-None-Match", br.Header().Get("ETag"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match = %d with %d bytes, want 304 and none", rec.Code, rec.Body.Len())
	}
}

func TestSplitHash(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{
		"css/app.0123456789ab.css":      {"css/app.css", "0123456789ab"},
		"js/htmx.min.0123456789ab.js":   {"js/htmx.min.js", "0123456789ab"},
		"js/htmx.min.js":                {"js/htmx.min.js", ""},
		"css/app.css":                   {"css/app.css", ""},
		"css/app.0123456789AB.css":      {"css/app.0123456789AB.css", ""},
		"css/app.0123.css":              {"css/app.0123.css", ""},
		"icons.0123456789ab.svg":        {"icons.svg", "0123456789ab"},
		"noext":                         {"noext", ""},
		"deep/dir.0123456789ab/file.js": {"deep/dir.0123456789ab/file.js", ""},
	} {
		name, hash := splitHash(in)
		if name != want[0] || hash != want[1] {
			t.Errorf("splitHash(%q) = %q, %q; want %q, %q", in, name, hash, want[0], want[1])
		}
	}
}

// TestAssetWeights reports what the static files weigh on the wire
// (docs/performance.md quotes it).
func TestAssetWeights(t *testing.T) {
	t.Parallel()
	a := newAssets(t)
	for _, name := range []string{"css/app.css", "js/app.js", "js/htmx.min.js", "icons.svg"} {
		f, ok := a.files[name]
		if !ok {
			t.Errorf("%s is not embedded", name)
			continue
		}
		br, gz := len(f.variants["br"]), len(f.variants["gzip"])
		t.Logf("%-15s %6d bytes, gzip %6d, brotli %6d", name, len(f.body), gz, br)
		if br == 0 || br >= gz || gz >= len(f.body) {
			t.Errorf("%s: brotli %d, gzip %d, raw %d bytes: want each precompressed variant smaller than the last", name, br, gz, len(f.body))
		}
	}
}
