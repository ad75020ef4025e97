package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
)

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeJSONError writes the API's error envelope.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message}})
}

// writeValidation answers 422 with the field errors.
func writeValidation(w http.ResponseWriter, fields map[string]string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": map[string]any{
		"code": "validation_failed", "message": "Some fields are not valid.", "fields": fields,
	}})
}

// writeResult answers an API write: its error, its field errors (422), or
// v with status.
func (p *pages) writeResult(w http.ResponseWriter, r *http.Request, status int, v any, errs map[string]string, err error) {
	switch {
	case err != nil:
		p.renderError(w, r, err)
	case len(errs) > 0:
		writeValidation(w, errs)
	default:
		writeJSON(w, status, v)
	}
}

// decodeJSON reads a bounded JSON object into v, answering 400/413 itself.
func (p *pages) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes)).Decode(v)
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooBig):
		p.renderError(w, r, &httpError{http.StatusRequestEntityTooLarge, "body_too_large", "The request body is too large."})
	default:
		p.renderError(w, r, &httpError{http.StatusBadRequest, "invalid_json", "The request body must be a JSON object."})
	}
	return false
}

// nullable is s, or JSON null for "".
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// orEmpty is s, or an empty slice for nil: JSON lists are [], never null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
