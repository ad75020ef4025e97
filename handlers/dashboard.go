package handlers

import (
	"net/http"
	"time"

	"gorm.io/gorm"

	"example.com/saas/models"
	"example.com/saas/views"
)

// dashboard shows the organization's project and task counts and its latest
// audit events, in one tenant transaction.
func (h *Handlers) dashboard(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	v := views.DashboardView{Slug: t.Slug, CanManage: t.Can(models.PermProjectsManage)}
	err := h.inTenant(r, func(tx *gorm.DB) error {
		var err error
		if v.Projects, err = models.CountProjects(r.Context(), tx); err != nil {
			return err
		}
		counts, err := models.CountTasks(r.Context(), tx)
		if err != nil {
			return err
		}
		v.OpenTasks, v.DoneTasks = counts.Open, counts.Done
		events, err := models.RecentAuditEvents(r.Context(), tx, 10)
		for _, e := range events {
			v.Events = append(v.Events, views.AuditItem{Actor: orDefault(e.ActorName, "Someone"), Summary: e.Summary, When: formatTime(e.CreatedAt)})
		}
		return err
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	p := h.page(w, r, t.Name)
	p.Active = "dashboard"
	h.render(w, r, http.StatusOK, views.Dashboard(p, v))
}

// formatTime shows a time in UTC, the one zone the server knows for sure.
func formatTime(t time.Time) string {
	return t.UTC().Format("Jan 2, 2006 15:04 UTC")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
