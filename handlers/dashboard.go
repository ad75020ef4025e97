package handlers

import (
	"net/http"

	"gorm.io/gorm"

	"example.com/saas/models"
	"example.com/saas/views"
)

// dashboardHandlers show an organization's overview.
type dashboardHandlers struct{ tenantPages }

// recentEvents is how many of the latest audit events the dashboard shows.
const recentEvents = 10

// dashboard shows the organization's project and task counts and its latest
// audit events, in one tenant transaction.
func (h *dashboardHandlers) dashboard(w http.ResponseWriter, r *http.Request) {
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
		events, err := models.RecentAuditEvents(r.Context(), tx, recentEvents)
		v.Events = nil // fn may run twice (models.InTenant)
		for _, e := range events {
			v.Events = append(v.Events, views.AuditItem{Actor: orDefault(e.ActorName, "Someone"), Summary: e.Summary, When: views.At(e.CreatedAt)})
		}
		return err
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, views.Dashboard(h.orgPage(w, r, t.Name, "dashboard"), v))
}
