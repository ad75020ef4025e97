// Package static embeds the CSS, JavaScript and images served under /static/,
// and names them with a content hash so they can be cached for a year.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed css/app.css js/*.js favicon.svg
var files embed.FS

// Assets serves the embedded files and builds their cache-busting URLs.
type Assets struct {
	versions map[string]string // file name → short content hash
}

// NewAssets hashes every embedded file once.
func NewAssets() (*Assets, error) {
	a := &Assets{versions: map[string]string{}}
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.versions[path] = hex.EncodeToString(sum[:6])
		return nil
	})
	return a, err
}

// URL returns the public URL of name (for example "css/app.css") with its
// content hash, so a new build never meets a stale cached copy.
func (a *Assets) URL(name string) string {
	return "/static/" + name + "?v=" + a.versions[name]
}

// Handler serves /static/*: a year of caching for the current version of a
// file, a short one otherwise, and no directory listings.
func (a *Assets) Handler() http.Handler {
	files := http.FileServerFS(files)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path
		v, ok := a.versions[name]
		if !ok || strings.HasSuffix(name, "/") {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == v {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		files.ServeHTTP(w, r)
	}))
}
