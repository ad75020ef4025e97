package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"gorm.io/gorm"

	"example.com/saas/models"
	"example.com/saas/views"
)

// projectForm is a project's editable fields, from a form or the API.
type projectForm struct {
	Name        string
	Description string
	Status      string
}

// Validate returns the form's field errors; the same limits are CHECK
// constraints in the database.
func (f projectForm) Validate() map[string]string {
	errs := map[string]string{}
	if msg := fieldError(f.Name, "Enter a name.", 100, false); msg != "" {
		errs["name"] = msg
	}
	if msg := fieldError(f.Description, "", 2000, true); msg != "" {
		errs["description"] = msg
	}
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

func projectsURL(slug string) string { return "/orgs/" + slug + "/projects" }

// listProjects shows a page of the organization's projects, optionally
// filtered by ?q=, with a link to the next page.
func (h *Handlers) listProjects(w http.ResponseWriter, r *http.Request) {
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
		v.NextURL = projectsURL(t.Slug) + "?" + url.Values{"q": {q}, "cursor": {page.NextCursor}}.Encode()
	}
	if r.URL.Query().Get("cursor") != "" {
		v.FirstURL = projectsURL(t.Slug) + "?" + url.Values{"q": {q}}.Encode()
	}
	p := h.page(w, r, "Projects")
	p.Active = "projects"
	h.render(w, r, http.StatusOK, views.Projects(p, v))
}

func projectItem(p models.Project) views.ProjectItem {
	return views.ProjectItem{ID: p.ID, Name: p.Name, Description: p.Description, Status: p.Status, Updated: formatTime(p.UpdatedAt)}
}

// newProject shows the empty create form.
func (h *Handlers) newProject(w http.ResponseWriter, r *http.Request) {
	h.renderProjectForm(w, r, http.StatusOK, "", projectForm{Status: models.StatusActive}, nil)
}

// renderProjectForm shows the create form (id "") or the edit form of id.
func (h *Handlers) renderProjectForm(w http.ResponseWriter, r *http.Request, status int, id string, f projectForm, errs map[string]string) {
	t, _ := models.TenantFrom(r.Context())
	v := views.ProjectFormView{Slug: t.Slug, Action: projectsURL(t.Slug), CancelURL: projectsURL(t.Slug),
		Name: f.Name, Description: f.Description, Status: f.Status, Errors: errs}
	title := "New project"
	if id != "" {
		v.Editing, v.Action, v.CancelURL = true, projectsURL(t.Slug)+"/"+id+"/edit", projectsURL(t.Slug)+"/"+id
		title = "Edit project"
	}
	p := h.page(w, r, title)
	p.Active = "projects"
	h.render(w, r, status, views.ProjectForm(p, v))
}

// createProject validates the form, creates the project with its audit
// event, and goes to the new project.
func (h *Handlers) createProject(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	f := projectFormFrom(r)
	if errs := f.Validate(); len(errs) > 0 {
		h.renderProjectForm(w, r, http.StatusUnprocessableEntity, "", f, errs)
		return
	}
	p, err := inTenantValue(h, r, func(tx *gorm.DB) (*models.Project, error) {
		return models.CreateProject(r.Context(), tx, f.fields())
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	t, _ := models.TenantFrom(r.Context())
	h.Sessions.AddFlash(w, r, "success", "Project "+p.Name+" created.")
	http.Redirect(w, r, projectsURL(t.Slug)+"/"+p.ID, http.StatusSeeOther)
}

// editProject shows the edit form filled with the project.
func (h *Handlers) editProject(w http.ResponseWriter, r *http.Request) {
	p, err := inTenantValue(h, r, func(tx *gorm.DB) (*models.Project, error) {
		return models.GetProject(r.Context(), tx, r.PathValue("id"))
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	h.renderProjectForm(w, r, http.StatusOK, p.ID, projectForm{Name: p.Name, Description: p.Description, Status: p.Status}, nil)
}

// updateProject saves the edit form.
func (h *Handlers) updateProject(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	id, f := r.PathValue("id"), projectFormFrom(r)
	var errs map[string]string
	err := h.inTenant(r, func(tx *gorm.DB) error {
		// Another tenant's id is a 404 even when the input is invalid.
		if _, err := models.GetProject(r.Context(), tx, id); err != nil {
			return err
		}
		if errs = f.Validate(); len(errs) > 0 {
			return nil
		}
		_, err := models.UpdateProject(r.Context(), tx, id, f.fields())
		return err
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	if len(errs) > 0 {
		h.renderProjectForm(w, r, http.StatusUnprocessableEntity, id, f, errs)
		return
	}
	t, _ := models.TenantFrom(r.Context())
	h.Sessions.AddFlash(w, r, "success", "Project "+f.Name+" saved.")
	http.Redirect(w, r, projectsURL(t.Slug)+"/"+id, http.StatusSeeOther)
}

// showProject shows a project with its tasks.
func (h *Handlers) showProject(w http.ResponseWriter, r *http.Request) {
	h.renderProject(w, r, http.StatusOK, "", nil)
}

// renderProject shows the project of the URL with the add-task form holding
// title and errs.
func (h *Handlers) renderProject(w http.ResponseWriter, r *http.Request, status int, title string, errs map[string]string) {
	v, err := h.projectView(r)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	v.TaskTitle, v.Errors = title, errs
	p := h.page(w, r, v.Project.Name)
	p.Active = "projects"
	h.render(w, r, status, views.Project(p, v))
}

// confirmDeleteProject asks before deleting.
func (h *Handlers) confirmDeleteProject(w http.ResponseWriter, r *http.Request) {
	v, err := h.projectView(r)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	p := h.page(w, r, "Delete "+v.Project.Name)
	p.Active = "projects"
	h.render(w, r, http.StatusOK, views.DeleteProject(p, v))
}

// deleteProject deletes the project and its tasks.
func (h *Handlers) deleteProject(w http.ResponseWriter, r *http.Request) {
	err := h.inTenant(r, func(tx *gorm.DB) error {
		return models.DeleteProject(r.Context(), tx, r.PathValue("id"))
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	t, _ := models.TenantFrom(r.Context())
	h.Sessions.AddFlash(w, r, "success", "Project deleted.")
	http.Redirect(w, r, projectsURL(t.Slug), http.StatusSeeOther)
}
