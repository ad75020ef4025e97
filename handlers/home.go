package handlers

import (
	"net/http"

	"example.com/saas/views"
)

// home renders the landing page at exactly "/"; other unknown paths, which
// the "/" pattern also matches, get the 404 page.
func (h *Handlers) home(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		h.notFound(w, r)
		return
	}
	h.render(w, r, http.StatusOK, views.Home(h.page(w, r, "")))
}
