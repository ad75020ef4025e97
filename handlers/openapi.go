package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"example.com/saas/api"
)

// openAPIDocument serves api/openapi.yaml as JSON, converted once when the
// handlers are built.
type openAPIDocument struct {
	json []byte
	etag string
}

// mustOpenAPIDocument converts the embedded document. It is fixed at build
// time and every test run loads it, so a failure here is a build that never
// passed its tests: it panics, as template.Must does.
func mustOpenAPIDocument() openAPIDocument {
	b, err := api.JSON()
	if err != nil {
		panic(fmt.Sprintf("handlers: the embedded OpenAPI document: %v", err))
	}
	sum := sha256.Sum256(b)
	return openAPIDocument{json: b, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// ServeHTTP answers the document. Clients may keep it five minutes, then
// revalidate with If-None-Match: a deploy that changes the API changes the
// ETag, and an unchanged one costs a 304. ServeContent handles HEAD and
// conditional requests.
func (d openAPIDocument) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("ETag", d.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(d.json))
}
