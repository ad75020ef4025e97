// Package static embeds the CSS, JavaScript and images served under /static/,
// and names them with a content hash so they can be cached for a year.
//
// The larger files have .gz and .br siblings, compressed once at build time
// (go generate ./static, or make css) rather than on every request; the
// handler sends the one the client accepts. TestPrecompressedAreCurrent
// fails when a sibling no longer matches its file.
package static

//go:generate go run ./precompress

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed css/app.css css/app.css.gz css/app.css.br js/*.js js/*.js.gz js/*.js.br favicon.svg icons.svg icons.svg.gz icons.svg.br
var files embed.FS

// hashLen is the length of the hex content hash in a file's public name.
const hashLen = 12

// Cache lifetimes: a year for a name whose hash is the current content's
// (that name never changes meaning), five minutes for the bare name and a
// stale hash (a page of the previous deploy still asking for its file gets
// today's, but must not keep it).
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheShort     = "public, max-age=300"
)

// encodings are the precompressed siblings, in order of preference: brotli
// is some 15% smaller than gzip on these files.
var encodings = []struct{ token, ext string }{
	{"br", ".br"},
	{"gzip", ".gz"},
}

// asset is one served file with its precompressed variants.
type asset struct {
	hash        string
	url         string // the public, hashed URL (Assets.URL)
	contentType string
	body        []byte
	variants    map[string][]byte // Content-Encoding token → compressed body
}

// Assets serves the embedded files and builds their cache-busting URLs.
type Assets struct {
	files map[string]*asset // name ("css/app.css") → file
}

// NewAssets hashes every embedded file once and pairs it with its
// precompressed siblings.
func NewAssets() (*Assets, error) {
	a := &Assets{files: map[string]*asset{}}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || isVariant(name) {
			return err
		}
		b, err := files.ReadFile(name)
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		sum := sha256.Sum256(b)
		hash := hex.EncodeToString(sum[:hashLen/2])
		ext := path.Ext(name)
		f := &asset{hash: hash, url: "/static/" + strings.TrimSuffix(name, ext) + "." + hash + ext,
			contentType: contentType(name), body: b, variants: map[string][]byte{}}
		for _, e := range encodings {
			if v, err := files.ReadFile(name + e.ext); err == nil {
				f.variants[e.token] = v
			}
		}
		a.files[name] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static assets: %w", err)
	}
	return a, nil
}

func isVariant(name string) bool {
	for _, e := range encodings {
		if strings.HasSuffix(name, e.ext) {
			return true
		}
	}
	return false
}

// contentType names the types served here itself: mime.TypeByExtension
// may take another answer from the machine's own MIME database.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// URL returns the public URL of name (for example "css/app.css" becomes
// "/static/css/app.3f2a1b9c4d5e.css"): the content hash is part of the
// name, so a new build never meets a stale cached copy, and caches that
// ignore query strings still tell versions apart. Pages ask for it once per
// stylesheet, script and icon, so it is built once, in NewAssets.
func (a *Assets) URL(name string) string {
	if f, ok := a.files[name]; ok {
		return f.url
	}
	return "/static/" + name
}

// splitHash parses a public name into the file's name and the hash it
// carries ("" for a bare name such as "js/htmx.min.js").
func splitHash(public string) (name, hash string) {
	ext := path.Ext(public)
	stem := strings.TrimSuffix(public, ext)
	dot := strings.LastIndexByte(stem, '.')
	if dot < 0 || !isHex(stem[dot+1:]) {
		return public, ""
	}
	return stem[:dot] + ext, stem[dot+1:]
}

func isHex(s string) bool {
	if len(s) != hashLen {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Handler serves /static/*: a year of caching for a hashed name of the
// current version, five minutes for the bare name or another hash, the
// precompressed variant the client accepts, and no directory listings.
func (a *Assets) Handler() http.Handler {
	return http.StripPrefix("/static/", http.HandlerFunc(a.serve))
}

func (a *Assets) serve(w http.ResponseWriter, r *http.Request) {
	name, hash := splitHash(r.URL.Path)
	f, ok := a.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	if hash == f.hash {
		h.Set("Cache-Control", cacheImmutable)
	} else {
		h.Set("Cache-Control", cacheShort)
	}
	h.Set("Content-Type", f.contentType)
	body, etag := f.body, f.hash
	if len(f.variants) > 0 {
		addVary(h, "Accept-Encoding")
		if enc := negotiate(r.Header.Get("Accept-Encoding"), f.variants); enc != "" {
			body, etag = f.variants[enc], f.hash+"-"+enc
			h.Set("Content-Encoding", enc)
		}
	}
	// A strong validator per variant: each is a different byte sequence.
	h.Set("ETag", strconv.Quote(etag))
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
}

// addVary lists field in Vary unless it is there already (a compressing
// middleware around this handler adds it too).
func addVary(h http.Header, field string) {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), field) {
				return
			}
		}
	}
	h.Add("Vary", field)
}

// negotiate picks the best of the available encodings that the
// Accept-Encoding header allows ("" for the file itself): the highest q,
// brotli on a tie. A wildcard is not taken as consent; identity always is.
func negotiate(accept string, available map[string][]byte) string {
	best, bestQ := "", 0.0
	for _, e := range encodings {
		if _, ok := available[e.token]; !ok {
			continue
		}
		if q := qValue(accept, e.token); q > bestQ {
			best, bestQ = e.token, q
		}
	}
	return best
}

// qValue is the weight accept gives coding (0 when absent or refused).
func qValue(accept, coding string) float64 {
	for _, part := range strings.Split(accept, ",") {
		token, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(token), coding) {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					return 0
				}
				q = f
			}
		}
		return q
	}
	return 0
}
