package handlers

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"gorm.io/gorm"

	"example.com/saas/internal/paths"
	"example.com/saas/models"
	"example.com/saas/views"
)

// auditHandlers show an organization's audit log.
type auditHandlers struct{ tenantPages }

// listAudit shows a page of the organization's audit log, newest first,
// filtered by ?actor= and ?action=, with keyset paging (?cursor=).
func (h *auditHandlers) listAudit(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	q := r.URL.Query()
	f := models.AuditFilter{ActorID: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")), Cursor: q.Get("cursor"), Limit: 25}
	if !t.Can(models.PermMembershipsManage) {
		// As on the members page: invitations are for those who manage them.
		f.HiddenTargets = []string{"invitation"}
	}
	var page models.Page[models.AuditEntry]
	var facets models.AuditFacets
	err := h.inTenant(r, func(tx *gorm.DB) error {
		var err error
		if page, err = models.ListAuditEvents(r.Context(), tx, f); err != nil {
			return err
		}
		facets, err = models.ListAuditFacets(r.Context(), tx, f.HiddenTargets)
		return err
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	base := paths.Audit(t.Slug)
	filter := url.Values{}
	if f.ActorID != "" {
		filter.Set("actor", f.ActorID)
	}
	if f.Action != "" {
		filter.Set("action", f.Action)
	}
	v := views.AuditView{Slug: t.Slug, Actor: f.ActorID, Action: f.Action}
	v.Actors = append(v.Actors, views.Option{Value: "", Label: "Everyone"})
	for _, id := range sortedByName(facets.Actors) {
		v.Actors = append(v.Actors, views.Option{Value: id, Label: facets.Actors[id]})
	}
	v.Actions = append(v.Actions, views.Option{Value: "", Label: "All actions"})
	for _, a := range facets.Actions {
		v.Actions = append(v.Actions, views.Option{Value: a, Label: a})
	}
	for _, e := range page.Items {
		v.Events = append(v.Events, views.AuditRow{
			When:  views.At(e.CreatedAt),
			Actor: orDefault(e.ActorName, "Someone"), Action: e.Action, Summary: e.Summary,
		})
	}
	if f.Cursor != "" {
		v.FirstURL = paths.WithQuery(base, filter)
	}
	if page.NextCursor != "" {
		next := url.Values{"cursor": {page.NextCursor}}
		for k, vs := range filter {
			next[k] = vs
		}
		v.NextURL = paths.WithQuery(base, next)
	}
	h.render(w, r, http.StatusOK, views.Audit(h.orgPage(w, r, "Audit log", "audit"), v))
}

// sortedByName returns the ids of names ordered by name.
func sortedByName(names map[string]string) []string {
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := strings.ToLower(names[ids[i]]), strings.ToLower(names[ids[j]])
		if a != b {
			return a < b
		}
		return ids[i] < ids[j]
	})
	return ids
}
