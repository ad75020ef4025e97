package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"gorm.io/gorm"

	"example.com/saas/models"
)

// The JSON API of projects and tasks (see api.go for its conventions).

// projectInput is a project's JSON body; nil fields are left unchanged by PATCH.
type projectInput struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Status      *string `json:"status"`
}

// apply merges in over f.
func (in projectInput) apply(f projectForm) projectForm {
	if in.Name != nil {
		f.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		f.Description = strings.TrimSpace(*in.Description)
	}
	if in.Status != nil {
		f.Status = *in.Status
	}
	return f
}

// taskInput is a task's JSON body; assignee_id null unassigns.
type taskInput struct {
	Title      *string         `json:"title"`
	Done       *bool           `json:"done"`
	AssigneeID json.RawMessage `json:"assignee_id"`
}

// apiListProjects answers a page of projects: ?q=, ?limit= (≤ 100), ?cursor=.
func (h *projectHandlers) apiListProjects(w http.ResponseWriter, r *http.Request) {
	apiList(h, w, r, func(tx *gorm.DB, opts models.ListOptions) (models.Page[models.Project], error) {
		return models.ListProjects(r.Context(), tx, opts)
	})
}

// apiCreateProject creates a project from {"name", "description", "status"}.
func (h *projectHandlers) apiCreateProject(w http.ResponseWriter, r *http.Request) {
	h.apiSaveProject(w, r, "", http.StatusCreated)
}

// apiGetProject answers one project.
func (h *projectHandlers) apiGetProject(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	h.writeRead(w, r, p, err)
}

// apiUpdateProject changes the fields given; another tenant's id is a 404
// whatever the body.
func (h *projectHandlers) apiUpdateProject(w http.ResponseWriter, r *http.Request) {
	h.apiSaveProject(w, r, r.PathValue("id"), http.StatusOK)
}

// apiSaveProject creates (id "") or updates project id from the JSON body
// and answers it with status.
func (h *projectHandlers) apiSaveProject(w http.ResponseWriter, r *http.Request, id string, status int) {
	var in projectInput
	if !h.decodeJSON(w, r, &in) {
		return
	}
	p, errs, err := h.saveProject(r, id, in.apply)
	h.writeResult(w, r, status, p, errs, err)
}

// apiDeleteProject deletes a project and its tasks.
func (h *projectHandlers) apiDeleteProject(w http.ResponseWriter, r *http.Request) {
	apiDelete(h, w, r, func(tx *gorm.DB) error {
		return models.DeleteProject(r.Context(), tx, r.PathValue("id"))
	})
}

// apiListTasks answers a page of a project's tasks, oldest first.
func (h *projectHandlers) apiListTasks(w http.ResponseWriter, r *http.Request) {
	apiList(h, w, r, func(tx *gorm.DB, opts models.ListOptions) (models.Page[models.Task], error) {
		return models.ListTasks(r.Context(), tx, r.PathValue("id"), opts)
	})
}

// apiCreateTask adds a task from {"title", "assignee_id"}.
func (h *projectHandlers) apiCreateTask(w http.ResponseWriter, r *http.Request) {
	var in taskInput
	if !h.decodeJSON(w, r, &in) {
		return
	}
	title := ""
	if in.Title != nil {
		title = strings.TrimSpace(*in.Title)
	}
	assignee, okAssignee := assigneeOf(in.AssigneeID)
	errs := map[string]string{}
	if msg := taskTitleErr(title); msg != "" {
		errs["title"] = msg
	}
	if !okAssignee {
		errs["assignee_id"] = "Must be a user id or null."
	}
	assigneeID := ""
	if assignee != nil {
		assigneeID = *assignee
	}
	h.writeTask(w, r, http.StatusCreated, errs, func(tx *gorm.DB) (*models.Task, error) {
		return models.CreateTask(r.Context(), tx, r.PathValue("id"), title, assigneeID)
	})
}

// apiUpdateTask changes the given fields of a task.
func (h *projectHandlers) apiUpdateTask(w http.ResponseWriter, r *http.Request) {
	var in taskInput
	if !h.decodeJSON(w, r, &in) {
		return
	}
	c := models.TaskChanges{Done: in.Done}
	errs := map[string]string{}
	if in.Title != nil {
		title := strings.TrimSpace(*in.Title)
		if msg := taskTitleErr(title); msg != "" {
			errs["title"] = msg
		}
		c.Title = &title
	}
	if len(in.AssigneeID) > 0 {
		assignee, ok := assigneeOf(in.AssigneeID)
		if !ok {
			errs["assignee_id"] = "Must be a user id or null."
		}
		c.AssigneeID = assignee
		if assignee == nil { // null unassigns
			c.AssigneeID = new(string)
		}
	}
	h.writeTask(w, r, http.StatusOK, errs, func(tx *gorm.DB) (*models.Task, error) {
		return models.UpdateTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"), c)
	})
}

// writeTask runs a task write in the tenant; the project and task are
// checked before the field errors, so another tenant's ids are a 404.
func (h *projectHandlers) writeTask(w http.ResponseWriter, r *http.Request, status int, errs map[string]string, write func(tx *gorm.DB) (*models.Task, error)) {
	var task *models.Task
	err := h.inTenant(r, func(tx *gorm.DB) error {
		if _, err := models.GetProject(r.Context(), tx, r.PathValue("id")); err != nil {
			return err
		}
		if id := r.PathValue("taskID"); id != "" {
			if _, err := models.GetTask(r.Context(), tx, r.PathValue("id"), id); err != nil {
				return err
			}
		}
		if len(errs) > 0 {
			return nil
		}
		var err error
		task, err = write(tx)
		if errors.Is(err, models.ErrAssigneeNotMember) {
			errs["assignee_id"] = "Must be a member of this organization."
			return nil
		}
		return err
	})
	h.writeResult(w, r, status, task, errs, err)
}

// apiDeleteTask deletes a task.
func (h *projectHandlers) apiDeleteTask(w http.ResponseWriter, r *http.Request) {
	apiDelete(h, w, r, func(tx *gorm.DB) error {
		_, err := models.DeleteTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"))
		return err
	})
}

// assigneeOf reads assignee_id: absent or null → nil; a string → it.
func assigneeOf(raw json.RawMessage) (*string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, false
	}
	return &s, true
}
