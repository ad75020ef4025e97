// Package apicheck holds the app's API traffic to its OpenAPI document: an
// http.RoundTripper that validates every request and response with
// kin-openapi, so that a test whose traffic disagrees with api/openapi.yaml
// fails, naming the route, the status and what disagrees. Only tests import
// it: kin-openapi stays out of the app's binary.
package apicheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"example.com/saas/api"
)

// Checker is the loaded, validated document and its router.
type Checker struct {
	doc    *openapi3.T
	router routers.Router
}

// Load parses api/openapi.yaml, validates it as an OpenAPI document
// (formats and examples included) and builds its router. The legacy router
// is kin-openapi's own; the gorilla/mux one would add a dependency for
// nothing this document needs.
func Load(ctx context.Context) (*Checker, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.YAML())
	if err != nil {
		return nil, fmt.Errorf("load api/openapi.yaml: %w", err)
	}
	if err := doc.Validate(ctx, openapi3.EnableSchemaFormatValidation(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("api/openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route api/openapi.yaml: %w", err)
	}
	return &Checker{doc: doc, router: router}, nil
}

// Document is the loaded document.
func (c *Checker) Document() *openapi3.T { return c.doc }

// Transport wraps base (http.DefaultTransport when nil) so that each round
// trip is checked against the document:
//   - a request to a route the document lacks is an error;
//   - the response must be one the document lists for its route and
//     status, headers and body included;
//   - a request the document forbids (a bad body, a missing token, a limit
//     out of range) is allowed, since tests send such requests on purpose,
//     but must be refused with a 4xx: the app accepting it, or failing on
//     it, means the two disagree.
//
// A disagreement is the round trip's error, so the client call that made
// it fails with the route, the status and kin-openapi's reason.
func (c *Checker) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{checker: c, base: base}
}

type transport struct {
	checker *Checker
	base    http.RoundTripper
}

// options are kin-openapi's: every status must be documented, formats
// (uuid, date-time) are checked, and a bearer token must be present (its
// validity is the app's to judge; a forged one still gets the documented 401).
func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		IncludeResponseStatus:   true,
		AuthenticationFunc:      bearerPresent,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()},
	}
}

func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme, token, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no Authorization: Bearer <token> header")
	}
	return nil
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	name := req.Method + " " + req.URL.Path
	body, err := readBody(req)
	if err != nil {
		return nil, fmt.Errorf("%s: read request body: %w", name, err)
	}
	// The validator reads a copy: RoundTrip must not change req.
	vreq := req.Clone(req.Context())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := t.checker.router.FindRoute(vreq)
	if err != nil {
		return nil, fmt.Errorf("%s: not a route of api/openapi.yaml: %w", name, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: options()}
	reqErr := openapi3filter.ValidateRequest(req.Context(), in)

	send := req
	if req.Body != nil && req.GetBody == nil { // its body was read above
		send = req.Clone(req.Context())
		send.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := t.base.RoundTrip(send)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: read response body: %w", name, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))

	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(raw)),
		Options:                in.Options,
	}
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		return nil, fmt.Errorf("%s → %d: the response does not match api/openapi.yaml: %w\nbody: %.500s", name, resp.StatusCode, err, raw)
	}
	if reqErr != nil && (resp.StatusCode < 400 || resp.StatusCode >= 500) {
		return nil, fmt.Errorf("%s → %d: api/openapi.yaml forbids this request, but the app did not refuse it (4xx): %w", name, resp.StatusCode, reqErr)
	}
	return resp, nil
}

// readBody reads the request's body without consuming it when it can
// (GetBody, which http.NewRequest sets for in-memory bodies).
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	rc := req.Body
	if req.GetBody != nil {
		var err error
		if rc, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
