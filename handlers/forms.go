package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFormBytes bounds form and JSON bodies: nothing here needs more.
const maxFormBytes = 64 << 10

// parseForm reads a bounded form body.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{http.StatusRequestEntityTooLarge, "too_large", "The form is too large."}
		}
		return &httpError{http.StatusBadRequest, "bad_request", "The form could not be read."}
	}
	return nil
}

// fieldError checks one text field and returns the message to show, or "".
// missing is the message for an empty value ("" makes the field optional).
// Besides length it refuses invalid UTF-8 and control characters (Postgres
// refuses NUL in text; the others have no business in names), so a value
// that passes can always be stored and shown.
func fieldError(s, missing string, max int, multiline bool) string {
	switch {
	case s == "":
		return missing
	case !utf8.ValidString(s):
		return "Use valid text."
	case utf8.RuneCountInString(s) > max:
		return fmt.Sprintf("Use at most %d characters.", max)
	case strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))
	}) >= 0:
		return "Remove the control characters."
	}
	return ""
}

// fieldErrors collects a form's field errors, by field name: what Validate
// returns.
type fieldErrors map[string]string

// text records the error of a one-line text field (see fieldError).
func (e fieldErrors) text(field, value, missing string, max int) {
	e.add(field, fieldError(value, missing, max, false))
}

// multiline records the error of a text field that may hold line breaks.
func (e fieldErrors) multiline(field, value, missing string, max int) {
	e.add(field, fieldError(value, missing, max, true))
}

// add records msg for field unless it is "".
func (e fieldErrors) add(field, msg string) {
	if msg != "" {
		e[field] = msg
	}
}
