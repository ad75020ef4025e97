// Package clerkfixtures holds, for tests, the examples Clerk and Svix
// publish: webhook event payloads, Clerk's own session-token fixture from
// @clerk/backend, clerk-sdk-go's v2 claim sets and Svix's signing vectors.
// SOURCES.md names each file's origin and licence. The files are embedded,
// so a test needs nothing outside the repository.
package clerkfixtures

import (
	"embed"
	"encoding/json"
	"io/fs"
	"path"
	"sort"
	"testing"
)

//go:embed testdata
var files embed.FS

// Bytes returns the fixture at name (relative to testdata/, for example
// "user.created.json" or "variants/docs-overview/user.created.json").
func Bytes(t testing.TB, name string) []byte {
	t.Helper()
	b, err := files.ReadFile(path.Join("testdata", name))
	if err != nil {
		t.Fatalf("clerkfixtures: %v", err)
	}
	return b
}

// Decode unmarshals the fixture at name into v.
func Decode(t testing.TB, name string, v any) {
	t.Helper()
	if err := json.Unmarshal(Bytes(t, name), v); err != nil {
		t.Fatalf("clerkfixtures: decode %s: %v", name, err)
	}
}

// Events lists every webhook event payload (top level and variants), by the
// name Bytes takes, in a stable order.
func Events(t testing.TB) []string {
	t.Helper()
	var out []string
	err := fs.WalkDir(files, "testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".json" {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		var ev struct {
			Object string `json:"object"`
			Type   string `json:"type"`
		}
		if json.Unmarshal(b, &ev) == nil && ev.Object == "event" && ev.Type != "" {
			out = append(out, p[len("testdata/"):])
		}
		return nil
	})
	if err != nil {
		t.Fatalf("clerkfixtures: %v", err)
	}
	sort.Strings(out)
	return out
}
