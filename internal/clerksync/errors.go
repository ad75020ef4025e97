package clerksync

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/clerk/clerk-sdk-go/v2"

	"example.com/saas/models"
)

// ErrUnavailable: Clerk gave no answer (a network error or a timeout) or
// answered 5xx, so nothing was changed. Retrying later may work.
var ErrUnavailable = errors.New("clerk is unavailable")

// Refusal is Clerk refusing the request's input (a 4xx other than 401, 403
// and 404), with its first error's code and message, for a form to show.
type Refusal struct {
	Status  int
	Code    string
	Message string
	err     error
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("clerk refused (%d %s): %s", r.Status, r.Code, r.Message)
}

// Unwrap returns the Backend API's error.
func (r *Refusal) Unwrap() error { return r.err }

// classify turns a Backend API error into the app's terms, once, where the
// call is made: 404 → models.ErrNotFound, a refused input → *Refusal, no
// answer or a 5xx → ErrUnavailable. Anything else (401 and 403 mean a
// wrong secret key, but for the 403 of a full organization) is returned
// wrapped, a 500 for the user.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	status, code, msg := apiError(err)
	switch {
	case status == http.StatusNotFound:
		return fmt.Errorf("clerk %s: %w: %w", what, models.ErrNotFound, err)
	case status >= 500 || (status == 0 && isNetworkError(err)):
		return fmt.Errorf("clerk %s: %w: %w", what, ErrUnavailable, err)
	case status >= 400 && status != http.StatusUnauthorized && (status != http.StatusForbidden || code == "organization_membership_quota_exceeded"):
		if msg == "" {
			msg = "Clerk refused this value."
		}
		return &Refusal{Status: status, Code: code, Message: msg, err: fmt.Errorf("clerk %s: %w", what, err)}
	default:
		return fmt.Errorf("clerk %s: %w", what, err)
	}
}

// IsGone reports whether err is the Backend API's 404 (classified or not).
func IsGone(err error) bool {
	status, _, _ := apiError(err)
	return status == http.StatusNotFound
}

// Retryable reports whether a Backend API call may succeed if made again
// later (429 and 5xx), and how long Clerk asked to wait (Retry-After, "" if
// none).
func Retryable(err error) (retry bool, retryAfter string) {
	var apiErr *clerk.APIErrorResponse
	if !errors.As(err, &apiErr) {
		return false, ""
	}
	switch apiErr.HTTPStatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
	default:
		return false, ""
	}
	if apiErr.Response != nil {
		retryAfter = apiErr.Response.Header.Get("Retry-After")
	}
	return true, retryAfter
}

// apiError returns the status, first error code and message of a Backend
// API error response (0 for other errors and nil).
func apiError(err error) (status int, code, msg string) {
	var apiErr *clerk.APIErrorResponse
	if !errors.As(err, &apiErr) {
		return 0, "", ""
	}
	if len(apiErr.Errors) > 0 {
		code, msg = apiErr.Errors[0].Code, apiErr.Errors[0].LongMessage
		if msg == "" {
			msg = apiErr.Errors[0].Message
		}
	}
	return apiErr.HTTPStatusCode, code, msg
}

func isNetworkError(err error) bool {
	var urlErr *url.Error
	return errors.As(err, &urlErr)
}
