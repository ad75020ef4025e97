package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// isHTMX reports whether r was sent by htmx (an in-page action), which gets
// a fragment or a toast instead of a whole page and a redirect.
func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// toast is a message static/js/app.js shows in the page's toast region after
// an htmx request: success toasts go by themselves, errors stay until
// closed, and one with an UndoURL offers "Undo" (a POST whose answer
// replaces UndoTarget) while it is shown.
type toast struct {
	Kind       string `json:"kind"` // "success", "error" or "info"
	Message    string `json:"message"`
	UndoURL    string `json:"undoURL,omitempty"`
	UndoTarget string `json:"undoTarget,omitempty"`
}

// triggerToast asks the page to show t once the htmx response arrives
// (HX-Trigger fires the app:toast event with t as its detail). Call it
// before the response's WriteHeader.
func triggerToast(w http.ResponseWriter, t toast) {
	b, err := json.Marshal(map[string]toast{"app:toast": t})
	if err != nil {
		return // a struct of strings always marshals
	}
	w.Header().Set("HX-Trigger", asciiJSON(b))
}

// asciiJSON escapes every non-ASCII character of a JSON text as \uXXXX:
// browsers read response headers as Latin-1, so a task called "Café" would
// arrive as "CafÃ©" otherwise.
func asciiJSON(b []byte) string {
	var sb strings.Builder
	for _, r := range string(b) {
		switch {
		case r < 0x80:
			sb.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&sb, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&sb, `\u%04x`, r)
		}
	}
	return sb.String()
}
