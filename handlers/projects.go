package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"gorm.io/gorm"

	"example.com/saas/internal/paths"
	"example.com/saas/models"
	"example.com/saas/views"
)

// projectHandlers serve the projects and their tasks, pages and JSON API
// (projects.go, tasks.go, projects_api.go): tenant-owned rows only.
type projectHandlers struct{ tenantPages }

// projectForm is a project's editable fields, from a form or the API.
type projectForm struct {
	Name        string
	Description string
	Status      string
}

// Validate returns the form's field errors; the same limits are CHECK
// constraints in the database.
func (f projectForm) Validate() map[string]string {
	errs := fieldErrors{}
	errs.text("name", f.Name, "Enter a name.", 100)
	errs.multiline("description", f.Description, "", 2000)
	if f.Status != models.StatusActive && f.Status != models.StatusArchived {
		errs["status"] = "Choose active or archived."
	}
	return errs
}

func (f projectForm) fields() models.ProjectFields {
	return models.ProjectFields{Name: f.Name, Description: f.Description, Status: f.Status}
}

func projectFormFrom(r *http.Request) projectForm {
	f := projectForm{
		Name:        strings.TrimSpace(r.PostFormValue("name")),
		Description: strings.TrimSpace(r.PostFormValue("description")),
		Status:      r.PostFormValue("status"),
	}
	if f.Status == "" {
		f.Status = models.StatusActive
	}
	return f
}

// listProjects shows a page of the organization's projects, optionally
// filtered by ?q=, with a link to the next page.
func (h *projectHandlers) listProjects(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	page, err := inTenantValue(h, r, func(tx *gorm.DB) (models.Page[models.Project], error) {
		return models.ListProjects(r.Context(), tx, models.ListOptions{Query: q, Cursor: r.URL.Query().Get("cursor")})
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	v := views.ProjectListView{Slug: t.Slug, Query: q, CanManage: t.Can(models.PermProjectsManage)}
	for _, p := range page.Items {
		v.Projects = append(v.Projects, projectItem(p))
	}
	if page.NextCursor != "" {
		v.NextURL = paths.WithQuery(paths.Projects(t.Slug), url.Values{"q": {q}, "cursor": {page.NextCursor}})
	}
	if r.URL.Query().Get("cursor") != "" {
		v.FirstURL = paths.WithQuery(paths.Projects(t.Slug), url.Values{"q": {q}})
	}
	h.render(w, r, http.StatusOK, views.Projects(h.orgPage(w, r, "Projects", "projects"), v))
}

func projectItem(p models.Project) views.ProjectItem {
	return views.ProjectItem{ID: p.ID, Name: p.Name, Description: p.Description, Status: p.Status, Updated: views.At(p.UpdatedAt)}
}

// newProject shows the empty create form.
func (h *projectHandlers) newProject(w http.ResponseWriter, r *http.Request) {
	h.renderProjectForm(w, r, http.StatusOK, "", projectForm{Status: models.StatusActive}, nil, "")
}

// renderProjectForm shows the create form (id "") or the edit form of id,
// with the field errors errs or the whole form's failure (formErr).
func (h *projectHandlers) renderProjectForm(w http.ResponseWriter, r *http.Request, status int, id string, f projectForm, errs map[string]string, formErr string) {
	t, _ := models.TenantFrom(r.Context())
	v := views.ProjectFormView{Slug: t.Slug, Action: paths.Projects(t.Slug), CancelURL: paths.Projects(t.Slug),
		Name: f.Name, Description: f.Description, Status: f.Status, Errors: errs, FormError: formErr}
	title := "New project"
	if id != "" {
		v.Editing, v.Action, v.CancelURL = true, paths.EditProject(t.Slug, id), paths.Project(t.Slug, id)
		title = "Edit project"
	}
	h.render(w, r, status, views.ProjectForm(h.orgPage(w, r, title, "projects"), v))
}

// createProject validates the form, creates the project with its audit
// event, and goes to the new project.
func (h *projectHandlers) createProject(w http.ResponseWriter, r *http.Request) {
	h.submitProjectForm(w, r, "", "created")
}

// project reads the URL's project in the tenant.
func (h *projectHandlers) project(r *http.Request) (*models.Project, error) {
	return inTenantValue(h, r, func(tx *gorm.DB) (*models.Project, error) {
		return models.GetProject(r.Context(), tx, r.PathValue("id"))
	})
}

// editProject shows the edit form filled with the project.
func (h *projectHandlers) editProject(w http.ResponseWriter, r *http.Request) {
	p, err := h.project(r)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	h.renderProjectForm(w, r, http.StatusOK, p.ID, projectForm{Name: p.Name, Description: p.Description, Status: p.Status}, nil, "")
}

// updateProject saves the edit form.
func (h *projectHandlers) updateProject(w http.ResponseWriter, r *http.Request) {
	h.submitProjectForm(w, r, r.PathValue("id"), "saved")
}

// submitProjectForm saves the create form (id "") or the edit form of id,
// shows it again with its errors (422), or goes to the project.
func (h *projectHandlers) submitProjectForm(w http.ResponseWriter, r *http.Request, id, done string) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	f := projectFormFrom(r)
	p, errs, err := h.saveProject(r, id, func(projectForm) projectForm { return f })
	switch {
	case err != nil:
		if msg, ok := h.keptForm(w, r, err); ok {
			h.renderProjectForm(w, r, http.StatusServiceUnavailable, id, f, nil, msg)
			return
		}
		h.renderError(w, r, err)
	case len(errs) > 0:
		h.renderProjectForm(w, r, http.StatusUnprocessableEntity, id, f, errs, "")
	default:
		t, _ := models.TenantFrom(r.Context())
		h.flashAndRedirect(w, r, "success", "Project "+p.Name+" "+done+".", paths.Project(t.Slug, p.ID))
	}
}

// saveProject is the one write path of the pages and the API. In one tenant
// transaction it reads project id (another tenant's id or a malformed one
// is a 404 whatever the input; "" is a new project), makes the form from
// its fields with edit, and creates or updates the project when the form
// is valid; errs are the field errors when it is not.
func (h *projectHandlers) saveProject(r *http.Request, id string, edit func(old projectForm) projectForm) (p *models.Project, errs map[string]string, err error) {
	ctx := r.Context()
	err = h.inTenant(r, func(tx *gorm.DB) error {
		old := projectForm{Status: models.StatusActive}
		if id != "" {
			cur, err := models.GetProject(ctx, tx, id)
			if err != nil {
				return err
			}
			old = projectForm{Name: cur.Name, Description: cur.Description, Status: cur.Status}
		}
		f := edit(old)
		if errs = f.Validate(); len(errs) > 0 {
			return nil
		}
		if id == "" {
			p, err = models.CreateProject(ctx, tx, f.fields())
		} else {
			p, err = models.UpdateProject(ctx, tx, id, f.fields())
		}
		return err
	})
	return p, errs, err
}

// showProject shows a project with its tasks.
func (h *projectHandlers) showProject(w http.ResponseWriter, r *http.Request) {
	h.renderProject(w, r, http.StatusOK, "", nil)
}

// renderProject shows the project of the URL (the page of its tasks after
// ?after=) with the add-task form holding title, the posted assignee and
// errs.
func (h *projectHandlers) renderProject(w http.ResponseWriter, r *http.Request, status int, title string, errs map[string]string) {
	v, err := h.projectView(r)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	v.TaskTitle, v.TaskAssignee, v.Errors = title, r.PostFormValue("assignee_id"), errs
	h.render(w, r, status, views.Project(h.orgPage(w, r, v.Project.Name, "projects"), v))
}

// confirmDeleteProject asks before deleting.
func (h *projectHandlers) confirmDeleteProject(w http.ResponseWriter, r *http.Request) {
	v, err := h.projectView(r)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, views.DeleteProject(h.orgPage(w, r, "Delete "+v.Project.Name, "projects"), v))
}

// deleteProject deletes the project and its tasks.
func (h *projectHandlers) deleteProject(w http.ResponseWriter, r *http.Request) {
	var name string
	err := h.inTenant(r, func(tx *gorm.DB) error {
		p, err := models.GetProject(r.Context(), tx, r.PathValue("id"))
		if err != nil {
			return err
		}
		name = p.Name
		return models.DeleteProject(r.Context(), tx, p.ID)
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	t, _ := models.TenantFrom(r.Context())
	h.flashAndRedirect(w, r, "success", "Deleted project “"+name+"”.", paths.Projects(t.Slug))
}
