// Package api holds the JSON API's OpenAPI 3.1 document, openapi.yaml,
// written by hand and checked against the app by the handler tests; the
// typed Go client generated from it is api/client (`make api`).
package api

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v4"
)

// The document is embedded so that the binary serves the very text the
// tests checked, with no file to ship beside it.
//
//go:embed openapi.yaml
var document []byte

// YAML returns a copy of the document as written.
func YAML() []byte { return append([]byte(nil), document...) }

// JSON returns the document converted to JSON, which is what clients and
// tools fetch (GET /api/v1/openapi.json). It parses with the YAML library
// kin-openapi uses, so the served document reads as the tested one does.
func JSON() ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(document, &v); err != nil {
		return nil, fmt.Errorf("parse api/openapi.yaml: %w", err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("convert api/openapi.yaml to JSON: %w", err)
	}
	return out, nil
}
