package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Task is a to-do of a project, optionally assigned to a member of the
// organization. Tenant-owned.
type Task struct {
	OrganizationID string    `json:"organization_id"`
	ID             string    `gorm:"primaryKey" json:"id"`
	ProjectID      string    `json:"project_id"`
	Title          string    `json:"title"`
	Done           bool      `json:"done"`
	AssigneeID     *string   `json:"assignee_id"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// TenantOwned puts Task behind the tenant scope and guard.
func (Task) TenantOwned() {}

// TaskChanges are the fields to change; nil leaves a field as it is, and an
// AssigneeID pointing to "" unassigns the task.
type TaskChanges struct {
	Title      *string
	Done       *bool
	AssigneeID *string
}

// ErrAssigneeNotMember: a task was assigned to someone outside the tenant.
var ErrAssigneeNotMember = errors.New("the assignee is not a member of this organization")

// pageKey is the task's keyset sort key.
func (t Task) pageKey() (time.Time, string) { return t.CreatedAt, t.ID }

// ListTasks returns the tasks of the tenant's project oldest first (a to-do
// list), keyset-paginated on (created_at, id); ErrNotFound when the project
// is not the tenant's.
func ListTasks(ctx context.Context, db *gorm.DB, projectID string, opts ListOptions) (Page[Task], error) {
	if _, err := GetProject(ctx, db, projectID); err != nil {
		return Page[Task]{}, err
	}
	q := db.WithContext(ctx).Where("project_id = ?", projectID)
	page, err := listPage[Task](q, oldestFirst, opts.Cursor, opts.Limit)
	if err != nil {
		return Page[Task]{}, fmt.Errorf("list tasks of %s: %w", projectID, err)
	}
	return page, nil
}

// GetTask returns task id of the tenant's project; ErrNotFound otherwise.
func GetTask(ctx context.Context, db *gorm.DB, projectID, id string) (*Task, error) {
	if !ValidID(projectID) || !ValidID(id) {
		return nil, fmt.Errorf("task %q: %w", id, ErrNotFound)
	}
	return takeOne[Task](db.WithContext(ctx).Where("project_id = ? AND id = ?", projectID, id), "task "+id)
}

// CreateTask adds a task to the tenant's project and records it in the audit
// log. Run it inside InTenant.
func CreateTask(ctx context.Context, db *gorm.DB, projectID, title, assigneeID string) (*Task, error) {
	p, err := GetProject(ctx, db, projectID)
	if err != nil {
		return nil, err
	}
	t := Task{ID: uuid.NewString(), ProjectID: p.ID, Title: title}
	if assigneeID != "" {
		if err := checkAssignee(ctx, db, assigneeID); err != nil {
			return nil, err
		}
		t.AssigneeID = &assigneeID
	}
	if err := db.WithContext(ctx).Create(&t).Error; err != nil {
		return nil, fmt.Errorf("create task: %w", err)
	}
	if err := RecordAudit(ctx, db, "task.created", "task", t.ID, fmt.Sprintf("Added task %q to %q", t.Title, p.Name)); err != nil {
		return nil, err
	}
	return &t, nil
}

// UpdateTask applies c to task id of the tenant's project and records it in
// the audit log. Run it inside InTenant.
func UpdateTask(ctx context.Context, db *gorm.DB, projectID, id string, c TaskChanges) (*Task, error) {
	t, err := GetTask(ctx, db, projectID, id)
	if err != nil {
		return nil, err
	}
	changes, action := map[string]any{}, "task.updated"
	if c.Title != nil {
		changes["title"] = *c.Title
	}
	if c.Done != nil {
		changes["done"] = *c.Done
		action = map[bool]string{true: "task.completed", false: "task.reopened"}[*c.Done]
	}
	if c.AssigneeID != nil {
		changes["assignee_id"] = nil
		if *c.AssigneeID != "" {
			if err := checkAssignee(ctx, db, *c.AssigneeID); err != nil {
				return nil, err
			}
			changes["assignee_id"] = *c.AssigneeID
		}
		action = "task.assigned"
	}
	if len(changes) == 0 {
		return t, nil
	}
	if err := db.WithContext(ctx).Model(t).Updates(changes).Error; err != nil {
		return nil, fmt.Errorf("update task %s: %w", id, err)
	}
	if err := RecordAudit(ctx, db, action, "task", t.ID, fmt.Sprintf("Updated task %q", t.Title)); err != nil {
		return nil, err
	}
	return GetTask(ctx, db, projectID, id)
}

// DeleteTask deletes task id of the tenant's project and records it in the
// audit log. Run it inside InTenant.
func DeleteTask(ctx context.Context, db *gorm.DB, projectID, id string) error {
	t, err := GetTask(ctx, db, projectID, id)
	if err != nil {
		return err
	}
	if err := db.WithContext(ctx).Delete(&Task{}, "id = ?", t.ID).Error; err != nil {
		return fmt.Errorf("delete task %s: %w", id, err)
	}
	return RecordAudit(ctx, db, "task.deleted", "task", t.ID, fmt.Sprintf("Deleted task %q", t.Title))
}

// TaskCounts are the tenant's open and done tasks.
type TaskCounts struct {
	Open int64
	Done int64
}

// CountTasks counts the tenant's tasks by state.
func CountTasks(ctx context.Context, db *gorm.DB) (TaskCounts, error) {
	var rows []struct {
		Done bool
		N    int64
	}
	if err := db.WithContext(ctx).Model(&Task{}).Select("done, count(*) AS n").Group("done").Find(&rows).Error; err != nil {
		return TaskCounts{}, fmt.Errorf("count tasks: %w", err)
	}
	var c TaskCounts
	for _, r := range rows {
		if r.Done {
			c.Done = r.N
		} else {
			c.Open = r.N
		}
	}
	return c, nil
}

// checkAssignee refuses users who are not members of the tenant.
func checkAssignee(ctx context.Context, db *gorm.DB, userID string) error {
	t, ok := TenantFrom(ctx)
	if !ok {
		return ErrNoTenant
	}
	if _, err := MembershipFor(ctx, db, t.OrgID, userID); errors.Is(err, ErrNotFound) {
		return ErrAssigneeNotMember
	} else if err != nil {
		return err
	}
	return nil
}
