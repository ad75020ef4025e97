package clerkdev

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
)

// apiError is one Clerk Backend API error, written in Clerk's envelope
// {"errors":[{code,message,long_message,meta}],"clerk_trace_id":...}.
type apiError struct {
	Status      int
	Code        string
	Message     string
	LongMessage string
	Meta        map[string]any
}

func (e *apiError) Error() string { return e.Code + ": " + e.LongMessage }

func writeAPIError(w http.ResponseWriter, e *apiError) {
	meta := e.Meta
	if meta == nil {
		meta = map[string]any{}
	}
	trace := randomString(32)
	w.Header().Set("Clerk-Trace-Id", trace)
	writeJSON(w, e.Status, map[string]any{
		"errors": []map[string]any{{
			"code":         e.Code,
			"message":      e.Message,
			"long_message": e.LongMessage,
			"meta":         meta,
		}},
		"clerk_trace_id": trace,
	})
}

func errNotFound(what string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "resource_not_found",
		Message: "not found", LongMessage: what + " not found"}
}

func errParamMissing(param string) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: "form_param_missing",
		Message: "is missing", LongMessage: param + " must be included.",
		Meta: map[string]any{"param_name": param}}
}

func errParamInvalid(param, long string) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: "form_param_format_invalid",
		Message: "is invalid", LongMessage: long, Meta: map[string]any{"param_name": param}}
}

func errIdentifierExists(param, long string) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: "form_identifier_exists",
		Message: "That " + param + " is taken. Please try another.", LongMessage: long,
		Meta: map[string]any{"param_name": param}}
}

func errMalformed(long string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "request_body_invalid",
		Message: "Request body invalid", LongMessage: long}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// decodeBody reads an optional JSON object body into dst. An empty body is fine.
func decodeBody(r *http.Request, dst any) *apiError {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return errMalformed("The request body could not be read.")
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return errParamValueInvalid(typeErr.Field, typeErr.Field+" is invalid. Received "+typeErr.Value+
				", must be of type "+jsonTypeName(typeErr.Type)+".")
		}
		return errMalformed("The request body is not valid JSON: " + err.Error())
	}
	return nil
}

// jsonTypeName names a Go type the way a JSON API reader knows it.
func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

// page reads limit (default 10, 1..500) and offset (default 0) from the query.
func page(r *http.Request) (limit, offset int, e *apiError) {
	limit, offset = 10, 0
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return 0, 0, errParamInvalid("limit", "limit must be an integer between 1 and 500.")
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, errParamInvalid("offset", "offset must be a non-negative integer.")
		}
		offset = n
	}
	return limit, offset, nil
}

// pageOf is the window [offset, offset+limit) of all, each item in its
// JSON form; never nil, so an empty page encodes as [].
func pageOf[T, J any](all []T, limit, offset int, toJSON func(T) J) []J {
	lo := min(offset, len(all))
	hi := min(lo+limit, len(all))
	out := make([]J, 0, hi-lo)
	for _, v := range all[lo:hi] {
		out = append(out, toJSON(v))
	}
	return out
}

// listJSON is Clerk's paginated list envelope.
type listJSON[T any] struct {
	Data       []T   `json:"data"`
	TotalCount int64 `json:"total_count"`
}

// writeList answers a list route in Clerk's two forms: with paginated=true (as both
// SDKs send) the listJSON envelope, otherwise the legacy bare array.
func writeList[T any](w http.ResponseWriter, r *http.Request, data []T, total int) {
	if r.URL.Query().Get("paginated") == "true" {
		writeJSON(w, http.StatusOK, listJSON[T]{Data: data, TotalCount: int64(total)})
		return
	}
	writeJSON(w, http.StatusOK, data)
}
