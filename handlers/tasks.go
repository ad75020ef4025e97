package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"gorm.io/gorm"

	"example.com/saas/internal/paths"
	"example.com/saas/models"
	"example.com/saas/views"
)

// taskPageSize is how many tasks a project page shows, and "Load more" adds.
const taskPageSize = 50

// errNotMember is the field error of an assignee outside the organization.
const errNotMember = "Choose a member of this organization."

// taskTitleErr validates a task title ("" when fine).
func taskTitleErr(title string) string {
	return fieldError(title, "Enter a title.", 200, false)
}

// projectBase loads in tx what every task answer shows: the URL's project,
// the counts of all its tasks and the organization's members (for
// assigning), with their names by user id.
func (h *projectHandlers) projectBase(r *http.Request, tx *gorm.DB) (views.ProjectView, map[string]string, error) {
	t, _ := models.TenantFrom(r.Context())
	v := views.ProjectView{Slug: t.Slug, CanManage: t.Can(models.PermProjectsManage), Fragment: isHTMX(r)}
	p, err := models.GetProject(r.Context(), tx, r.PathValue("id"))
	if err != nil {
		return v, nil, err
	}
	v.Project = projectItem(*p)
	progress, err := models.CountProjectTasks(r.Context(), tx, p.ID)
	if err != nil {
		return v, nil, err
	}
	v.Total, v.Done = int(progress.Total), int(progress.Done)
	members, err := models.MembersOf(r.Context(), tx)
	if err != nil {
		return v, nil, err
	}
	names := map[string]string{}
	for _, m := range members {
		names[m.UserID] = m.DisplayName()
		v.Members = append(v.Members, views.MemberOption{UserID: m.UserID, Name: names[m.UserID]})
	}
	return v, names, nil
}

func taskItem(task models.Task, names map[string]string) views.TaskItem {
	item := views.TaskItem{ID: task.ID, Title: task.Title, Done: task.Done}
	if task.AssigneeID != nil {
		item.AssigneeID, item.Assignee = *task.AssigneeID, names[*task.AssigneeID]
	}
	return item
}

// projectView loads the URL's project with the page of its tasks after
// ?after= (up to ?until=, see models.ListOptions.Until) in one tenant
// transaction.
func (h *projectHandlers) projectView(r *http.Request) (views.ProjectView, error) {
	q := r.URL.Query()
	var v views.ProjectView
	err := h.inTenant(r, func(tx *gorm.DB) error {
		var names map[string]string
		var err error
		if v, names, err = h.projectBase(r, tx); err != nil {
			return err
		}
		opts := models.ListOptions{Limit: taskPageSize, Cursor: q.Get("after"), Until: q.Get("until")}
		page, err := models.ListTasks(r.Context(), tx, v.Project.ID, opts)
		if err != nil {
			return err
		}
		for _, task := range page.Items {
			v.Tasks = append(v.Tasks, taskItem(task, names))
		}
		v.After, v.Next, v.Until = opts.Cursor, page.NextCursor, opts.Until
		if v.Next != "" && v.Until == "" {
			// The pages loaded in place end at today's last task: the
			// tasks added from this page are appended by their answers.
			v.Until, err = models.LastTaskCursor(r.Context(), tx, v.Project.ID)
		}
		return err
	})
	return v, err
}

// listTasks answers htmx with the task list (no ?after=: the list fetched
// again after a row was found gone) or the page after ?after= ("Load
// more"); a browser is sent to the project page showing that page.
func (h *projectHandlers) listTasks(w http.ResponseWriter, r *http.Request) {
	v, err := h.projectView(r)
	switch {
	case err != nil:
		h.renderError(w, r, err)
	case !isHTMX(r):
		q := url.Values{}
		if v.After != "" {
			q.Set("after", v.After)
		}
		http.Redirect(w, r, paths.WithQuery(paths.Project(v.Slug, v.Project.ID), q), http.StatusSeeOther)
	case v.After == "":
		h.render(w, r, http.StatusOK, views.TaskList(v))
	default:
		h.render(w, r, http.StatusOK, views.TaskPage(v))
	}
}

// rowView loads in tx what a task's row answer shows.
func (h *projectHandlers) rowView(r *http.Request, tx *gorm.DB, task *models.Task) (views.ProjectView, views.TaskItem, error) {
	v, names, err := h.projectBase(r, tx)
	if err != nil {
		return v, views.TaskItem{}, err
	}
	return v, taskItem(*task, names), nil
}

// showTask answers htmx with a task's row, focused (Cancel of an inline
// edit); a browser is sent to the project.
func (h *projectHandlers) showTask(w http.ResponseWriter, r *http.Request) {
	h.changeTask(w, r, true, "", func(tx *gorm.DB) (*models.Task, error) {
		return models.GetTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"))
	})
}

// createTask adds a task to the project: htmx gets the form back empty
// with the new row and counts, a browser a redirect; an invalid title is
// shown with the form (422).
func (h *projectHandlers) createTask(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	title, assignee := strings.TrimSpace(r.PostFormValue("title")), r.PostFormValue("assignee_id")
	if msg := taskTitleErr(title); msg != "" {
		h.refuseTask(w, r, title, map[string]string{"title": msg})
		return
	}
	var v views.ProjectView
	var item views.TaskItem
	err := h.inTenant(r, func(tx *gorm.DB) error {
		task, err := models.CreateTask(r.Context(), tx, r.PathValue("id"), title, assignee)
		if err != nil {
			return err
		}
		v, item, err = h.rowView(r, tx, task)
		return err
	})
	switch {
	case errors.Is(err, models.ErrAssigneeNotMember):
		h.refuseTask(w, r, title, map[string]string{"assignee_id": errNotMember})
	case err != nil:
		h.renderError(w, r, err)
	case !isHTMX(r):
		h.flashAndRedirect(w, r, "success", "Added task “"+title+"”.", paths.Project(v.Slug, v.Project.ID))
	default:
		// The assignee stays chosen, for the next task typed.
		v.TaskAssignee, v.FocusTitle = assignee, true
		h.render(w, r, http.StatusOK, views.TaskAdded(v, item))
	}
}

// refuseTask shows the add-task form again with its errors (422): alone
// to htmx, in its page otherwise.
func (h *projectHandlers) refuseTask(w http.ResponseWriter, r *http.Request, title string, errs map[string]string) {
	if !isHTMX(r) {
		h.renderProject(w, r, http.StatusUnprocessableEntity, title, errs)
		return
	}
	v, err := inTenantValue(h, r, func(tx *gorm.DB) (views.ProjectView, error) {
		v, _, err := h.projectBase(r, tx)
		return v, err
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	v.TaskTitle, v.TaskAssignee, v.Errors = title, r.PostFormValue("assignee_id"), errs
	h.render(w, r, http.StatusUnprocessableEntity, views.TaskForm(v))
}

// toggleTask marks a task done, or open again. The form says which
// ("done": the state its button shows the task going to), so two people
// marking one task done at once both get it done instead of undoing each
// other; a post without it (a page older than that) flips the task.
func (h *projectHandlers) toggleTask(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	want, err := optionalBool(r.PostFormValue("done"))
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	h.changeTask(w, r, false, "Task updated.", func(tx *gorm.DB) (*models.Task, error) {
		task, err := models.GetTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"))
		if err != nil {
			return nil, err
		}
		done := !task.Done
		if want != nil {
			done = *want
		}
		return models.UpdateTask(r.Context(), tx, task.ProjectID, task.ID, models.TaskChanges{Done: &done})
	})
}

// optionalBool reads a form's "true" or "false" ("" is nil).
func optionalBool(s string) (*bool, error) {
	switch s {
	case "":
		return nil, nil
	case "true", "false":
		b := s == "true"
		return &b, nil
	default:
		return nil, &httpError{http.StatusBadRequest, "invalid_field", "done must be true or false."}
	}
}

// assignTask assigns a task to a member, or unassigns it ("").
func (h *projectHandlers) assignTask(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	assignee := r.PostFormValue("assignee_id")
	h.changeTask(w, r, false, "Task assigned.", func(tx *gorm.DB) (*models.Task, error) {
		return models.UpdateTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"), models.TaskChanges{AssigneeID: &assignee})
	})
}

// editTask shows the title form: in the task's row to htmx, as a page
// otherwise.
func (h *projectHandlers) editTask(w http.ResponseWriter, r *http.Request) {
	task, err := inTenantValue(h, r, func(tx *gorm.DB) (*models.Task, error) {
		return models.GetTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"))
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	h.renderTaskEdit(w, r, http.StatusOK, task, task.Title, "")
}

// updateTask saves a task's new title, validated as when adding one; an
// invalid one shows the form again with its error (422), changing nothing.
func (h *projectHandlers) updateTask(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	title := strings.TrimSpace(r.PostFormValue("title"))
	if msg := taskTitleErr(title); msg != "" {
		h.refuseTitle(w, r, title, msg)
		return
	}
	h.changeTask(w, r, true, "Task saved.", func(tx *gorm.DB) (*models.Task, error) {
		return models.UpdateTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"), models.TaskChanges{Title: &title})
	})
}

// refuseTitle shows the title form with title and its error (422); the
// task is looked up first, so another tenant's is a 404 whatever the input.
func (h *projectHandlers) refuseTitle(w http.ResponseWriter, r *http.Request, title, msg string) {
	task, err := inTenantValue(h, r, func(tx *gorm.DB) (*models.Task, error) {
		return models.GetTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"))
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	h.renderTaskEdit(w, r, http.StatusUnprocessableEntity, task, title, msg)
}

// renderTaskEdit shows task's title form holding title and errMsg.
func (h *projectHandlers) renderTaskEdit(w http.ResponseWriter, r *http.Request, status int, task *models.Task, title, errMsg string) {
	t, _ := models.TenantFrom(r.Context())
	v := views.TaskEditView{Slug: t.Slug, ProjectID: task.ProjectID, Title: title, Error: errMsg,
		Task: views.TaskItem{ID: task.ID, Title: task.Title, Done: task.Done}}
	if isHTMX(r) {
		h.render(w, r, status, views.TaskEditRow(v))
		return
	}
	h.render(w, r, status, views.TaskEdit(h.orgPage(w, r, "Edit task", "projects"), v))
}

// deleteTask deletes a task: htmx gets a toast offering Undo
// (restoreTask) and an empty row keeping the task's place, a browser a
// flash and a redirect.
func (h *projectHandlers) deleteTask(w http.ResponseWriter, r *http.Request) {
	var v views.ProjectView
	task, err := inTenantValue(h, r, func(tx *gorm.DB) (*models.Task, error) {
		task, err := models.DeleteTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"))
		if err != nil || !isHTMX(r) {
			return task, err
		}
		v, _, err = h.projectBase(r, tx)
		return task, err
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	t, _ := models.TenantFrom(r.Context())
	msg := "Deleted task “" + task.Title + "”."
	if !isHTMX(r) {
		h.flashAndRedirect(w, r, "success", msg, paths.Project(t.Slug, task.ProjectID))
		return
	}
	triggerToast(w, toast{Kind: "success", Message: msg,
		UndoURL: paths.RestoreTask(t.Slug, task.ProjectID, task.ID), UndoTarget: "#task-" + task.ID})
	h.render(w, r, http.StatusOK, views.TaskDeleted(v, task.ID))
}

// restoreTask brings a deleted task back as it was (Undo).
func (h *projectHandlers) restoreTask(w http.ResponseWriter, r *http.Request) {
	h.changeTask(w, r, false, "Task restored.", func(tx *gorm.DB) (*models.Task, error) {
		return models.RestoreTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"))
	})
}

// changeTask runs write in the tenant and answers htmx with the task's row
// (focused when focus) and the project's counts, a browser with flash and
// a redirect back to the project (without a flash when it is "").
func (h *projectHandlers) changeTask(w http.ResponseWriter, r *http.Request, focus bool, flash string, write func(tx *gorm.DB) (*models.Task, error)) {
	var v views.ProjectView
	var item views.TaskItem
	err := h.inTenant(r, func(tx *gorm.DB) error {
		task, err := write(tx)
		if err != nil || !isHTMX(r) {
			return err
		}
		v, item, err = h.rowView(r, tx, task)
		return err
	})
	t, _ := models.TenantFrom(r.Context())
	project := paths.Project(t.Slug, r.PathValue("id"))
	switch {
	case errors.Is(err, models.ErrAssigneeNotMember):
		h.refuseAssignee(w, r)
	case err != nil:
		h.renderError(w, r, err)
	case isHTMX(r):
		item.Focus = focus
		h.render(w, r, http.StatusOK, views.TaskRow(v, item))
	case flash == "":
		http.Redirect(w, r, project, http.StatusSeeOther)
	default:
		h.flashAndRedirect(w, r, "success", flash, project)
	}
}

// refuseAssignee answers an assignment to someone outside the organization
// (a member removed since the page was shown) with 422: the task's row
// with the error to htmx, the project page otherwise.
func (h *projectHandlers) refuseAssignee(w http.ResponseWriter, r *http.Request) {
	if !isHTMX(r) {
		h.renderProject(w, r, http.StatusUnprocessableEntity, "", map[string]string{"assignee_id": errNotMember})
		return
	}
	var v views.ProjectView
	var item views.TaskItem
	err := h.inTenant(r, func(tx *gorm.DB) error {
		task, err := models.GetTask(r.Context(), tx, r.PathValue("id"), r.PathValue("taskID"))
		if err != nil {
			return err
		}
		v, item, err = h.rowView(r, tx, task)
		return err
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	item.AssigneeError = errNotMember
	h.render(w, r, http.StatusUnprocessableEntity, views.TaskRow(v, item))
}
