package clerksync

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"

	"example.com/saas/models"
)

func apiErr(status int, code, long string) error {
	return &clerk.APIErrorResponse{HTTPStatusCode: status, Errors: []clerk.Error{{Code: code, Message: "short " + code, LongMessage: long}}}
}

// classify turns the Backend API's answers into the app's errors once: a
// 404 is not found, a refused input a Refusal with Clerk's code and
// message, no answer or a 5xx unavailable, and a bad key stays an internal
// error.
func TestClassify(t *testing.T) {
	network := &url.Error{Op: "Get", URL: "https://api.clerk.com/v1/x", Err: errors.New("connection refused")}
	for _, tt := range []struct {
		name        string
		err         error
		notFound    bool
		unavailable bool
		refusal     string // "code: message" when a Refusal
	}{
		{"not found", apiErr(404, "resource_not_found", ""), true, false, ""},
		{"taken slug", apiErr(422, "form_identifier_exists", "That slug is taken."), false, false, "form_identifier_exists: That slug is taken."},
		{"short message only", apiErr(400, "form_param_missing", ""), false, false, "form_param_missing: short form_param_missing"},
		{"no message", &clerk.APIErrorResponse{HTTPStatusCode: 422}, false, false, ": Clerk refused this value."},
		{"server error", apiErr(502, "", ""), false, true, ""},
		{"network", fmt.Errorf("call: %w", network), false, true, ""},
		{"bad key", apiErr(401, "authentication_invalid", "Invalid key"), false, false, ""},
		{"forbidden", apiErr(403, "authorization_invalid", ""), false, false, ""},
		{"organization full", apiErr(403, "organization_membership_quota_exceeded", "The organization is full."), false, false, "organization_membership_quota_exceeded: The organization is full."},
		{"other", errors.New("boom"), false, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := classify("test call", tt.err)
			if errors.Is(got, models.ErrNotFound) != tt.notFound {
				t.Errorf("ErrNotFound = %v, want %v (%v)", !tt.notFound, tt.notFound, got)
			}
			if errors.Is(got, ErrUnavailable) != tt.unavailable {
				t.Errorf("ErrUnavailable = %v, want %v (%v)", !tt.unavailable, tt.unavailable, got)
			}
			var r *Refusal
			refused := errors.As(got, &r)
			if refused != (tt.refusal != "") || (refused && r.Code+": "+r.Message != tt.refusal) {
				t.Errorf("refusal = %v %+v, want %q", refused, r, tt.refusal)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("%v does not wrap the Backend API's error", got)
			}
		})
	}
	if classify("x", nil) != nil {
		t.Error("classify(nil) is not nil")
	}
}

func TestIsGoneAndRetryable(t *testing.T) {
	limited := &clerk.APIErrorResponse{HTTPStatusCode: 429}
	limited.Response = &clerk.APIResponse{Header: http.Header{"Retry-After": {"7"}}}
	for _, tt := range []struct {
		err        error
		gone       bool
		retry      bool
		retryAfter string
	}{
		{apiErr(404, "", ""), true, false, ""},
		{fmt.Errorf("wrapped: %w", apiErr(404, "", "")), true, false, ""},
		{limited, false, true, "7"},
		{apiErr(503, "", ""), false, true, ""},
		{apiErr(422, "", ""), false, false, ""},
		{errors.New("boom"), false, false, ""},
	} {
		retry, after := Retryable(tt.err)
		if IsGone(tt.err) != tt.gone || retry != tt.retry || after != tt.retryAfter {
			t.Errorf("%v: IsGone %v, Retryable %v %q; want %v, %v %q", tt.err, IsGone(tt.err), retry, after, tt.gone, tt.retry, tt.retryAfter)
		}
	}
}
