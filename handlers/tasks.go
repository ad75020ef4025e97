package handlers

import (
	"errors"
	"net/http"
	"strings"

	"gorm.io/gorm"

	"example.com/saas/internal/paths"
	"example.com/saas/models"
	"example.com/saas/views"
)

// taskTitleErr validates a task title ("" when fine).
func taskTitleErr(title string) string {
	return fieldError(title, "Enter a title.", 200, false)
}

// projectView loads the URL's project, its tasks and the organization's
// members (for assigning) in one tenant transaction.
func (h *projectHandlers) projectView(r *http.Request) (views.ProjectView, error) {
	t, _ := models.TenantFrom(r.Context())
	v := views.ProjectView{Slug: t.Slug, CanManage: t.Can(models.PermProjectsManage)}
	err := h.inTenant(r, func(tx *gorm.DB) error {
		p, err := models.GetProject(r.Context(), tx, r.PathValue("id"))
		if err != nil {
			return err
		}
		v.Project = projectItem(*p)
		tasks, err := models.ListTasks(r.Context(), tx, p.ID, models.ListOptions{Limit: 100})
		if err != nil {
			return err
		}
		members, err := models.MembersOf(r.Context(), tx)
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, m := range members {
			names[m.UserID] = m.DisplayName()
			v.Members = append(v.Members, views.MemberOption{UserID: m.UserID, Name: names[m.UserID]})
		}
		for _, task := range tasks.Items {
			item := views.TaskItem{ID: task.ID, Title: task.Title, Done: task.Done}
			if task.AssigneeID != nil {
				item.AssigneeID, item.Assignee = *task.AssigneeID, names[*task.AssigneeID]
			}
			v.Tasks = append(v.Tasks, item)
		}
		return nil
	})
	return v, err
}

// createTask adds a task to the project; an invalid title re-renders the
// project page with the error.
func (h *projectHandlers) createTask(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	title := strings.TrimSpace(r.PostFormValue("title"))
	if msg := taskTitleErr(title); msg != "" {
		h.renderProject(w, r, http.StatusUnprocessableEntity, title, map[string]string{"title": msg})
		return
	}
	err := h.inTenant(r, func(tx *gorm.DB) error {
		_, err := models.CreateTask(r.Context(), tx, r.PathValue("id"), title, r.PostFormValue("assignee_id"))
		return err
	})
	if errors.Is(err, models.ErrAssigneeNotMember) {
		h.renderProject(w, r, http.StatusUnprocessableEntity, title, map[string]string{"assignee_id": "Choose a member of this organization."})
		return
	}
	h.afterTaskChange(w, r, err, "Task added.")
}

// toggleTask marks a task done, or open again.
func (h *projectHandlers) toggleTask(w http.ResponseWriter, r *http.Request) {
	err := h.inTenant(r, func(tx *gorm.DB) error {
		task, err := models.GetTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"))
		if err != nil {
			return err
		}
		done := !task.Done
		_, err = models.UpdateTask(r.Context(), tx, task.ProjectID, task.ID, models.TaskChanges{Done: &done})
		return err
	})
	h.afterTaskChange(w, r, err, "Task updated.")
}

// assignTask assigns a task to a member, or unassigns it ("").
func (h *projectHandlers) assignTask(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	assignee := r.PostFormValue("assignee_id")
	err := h.inTenant(r, func(tx *gorm.DB) error {
		_, err := models.UpdateTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"), models.TaskChanges{AssigneeID: &assignee})
		return err
	})
	if errors.Is(err, models.ErrAssigneeNotMember) {
		h.renderProject(w, r, http.StatusUnprocessableEntity, "", map[string]string{"assignee_id": "Choose a member of this organization."})
		return
	}
	h.afterTaskChange(w, r, err, "Task assigned.")
}

// deleteTask deletes a task.
func (h *projectHandlers) deleteTask(w http.ResponseWriter, r *http.Request) {
	err := h.inTenant(r, func(tx *gorm.DB) error {
		return models.DeleteTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"))
	})
	h.afterTaskChange(w, r, err, "Task deleted.")
}

// afterTaskChange answers a task action: the task list alone to htmx,
// otherwise a flash and a redirect back to the project.
func (h *projectHandlers) afterTaskChange(w http.ResponseWriter, r *http.Request, err error, flash string) {
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	if isHTMX(r) {
		v, err := h.projectView(r)
		if err != nil {
			h.renderError(w, r, err)
			return
		}
		h.render(w, r, http.StatusOK, views.TaskList(v))
		return
	}
	t, _ := models.TenantFrom(r.Context())
	h.flashAndRedirect(w, r, "success", flash, paths.Project(t.Slug, r.PathValue("id")))
}
