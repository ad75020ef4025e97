package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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
	// DeletedAt is set while the task is deleted but restorable (Undo);
	// every read here skips such rows (live).
	DeletedAt *time.Time `json:"-"`
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

// restoreWindow is how long a deleted task stays restorable; later deletes
// purge the rows deleted before it.
const restoreWindow = 24 * time.Hour

// pageKey is the task's keyset sort key.
func (t Task) pageKey() (time.Time, string) { return t.CreatedAt, t.ID }

// live keeps the tasks that are not deleted.
func live(q *gorm.DB) *gorm.DB { return q.Where("deleted_at IS NULL") }

// ListTasks returns the tasks of the tenant's project oldest first (a to-do
// list), keyset-paginated on (created_at, id), up to opts.Until when set;
// ErrNotFound when the project is not the tenant's.
func ListTasks(ctx context.Context, db *gorm.DB, projectID string, opts ListOptions) (Page[Task], error) {
	if _, err := GetProject(ctx, db, projectID); err != nil {
		return Page[Task]{}, err
	}
	q := live(db.WithContext(ctx)).Where("project_id = ?", projectID)
	if opts.Until != "" {
		at, id, err := decodeCursor(opts.Until)
		if err != nil {
			return Page[Task]{}, err
		}
		q = q.Where("(created_at, id) <= (?, CAST(? AS uuid))", at, id)
	}
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
	return takeOne[Task](live(db.WithContext(ctx)).Where("project_id = ? AND id = ?", projectID, id), "task "+id)
}

// LastTaskCursor is the cursor of the newest task of the tenant's project
// ("" when it has none): the Until of a list that must not grow while it is
// paged through.
func LastTaskCursor(ctx context.Context, db *gorm.DB, projectID string) (string, error) {
	var last []Task
	err := live(db.WithContext(ctx)).Where("project_id = ?", projectID).
		Order("created_at DESC, id DESC").Limit(1).Find(&last).Error
	if err != nil {
		return "", fmt.Errorf("last task of %s: %w", projectID, err)
	}
	if len(last) == 0 {
		return "", nil
	}
	return encodeCursor(last[0].pageKey()), nil
}

// TaskProgress counts a project's tasks, all of them, not a page.
type TaskProgress struct {
	Total int64
	Done  int64
}

// CountProjectTasks counts the tasks of the tenant's project and the done
// ones, in one query.
func CountProjectTasks(ctx context.Context, db *gorm.DB, projectID string) (TaskProgress, error) {
	var p TaskProgress
	err := live(db.WithContext(ctx).Model(&Task{})).Where("project_id = ?", projectID).
		Select("count(*) AS total, count(*) FILTER (WHERE done) AS done").Scan(&p).Error
	if err != nil {
		return TaskProgress{}, fmt.Errorf("count tasks of %s: %w", projectID, err)
	}
	return p, nil
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
	// The row is locked from the read on: two people marking one task done
	// at once write (and audit) it once, and one's rename is never lost to
	// the other's stale copy.
	t, err := GetTask(ctx, db.Clauses(clause.Locking{Strength: "UPDATE"}), projectID, id)
	if err != nil {
		return nil, err
	}
	changes, action := map[string]any{}, "task.updated"
	summary := fmt.Sprintf("Updated task %q", t.Title)
	if c.Title != nil && *c.Title != t.Title {
		changes["title"] = *c.Title
		summary = fmt.Sprintf("Renamed task %q to %q", t.Title, *c.Title)
	}
	if c.Done != nil && *c.Done != t.Done {
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
	// Only a live task: one deleted since GetTask (a concurrent delete,
	// waited for on its row lock) is not found, not changed in the dark.
	res := live(db.WithContext(ctx).Model(t)).Updates(changes)
	if res.Error != nil {
		return nil, fmt.Errorf("update task %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("update task %s: %w", id, ErrNotFound)
	}
	if err := RecordAudit(ctx, db, action, "task", t.ID, summary); err != nil {
		return nil, err
	}
	return GetTask(ctx, db, projectID, id)
}

// DeleteTask deletes task id of the tenant's project, restorable for
// restoreWindow (RestoreTask), and records it in the audit log; it returns
// the task as it was. Run it inside InTenant.
func DeleteTask(ctx context.Context, db *gorm.DB, projectID, id string) (*Task, error) {
	t, err := GetTask(ctx, db, projectID, id)
	if err != nil {
		return nil, err
	}
	// UpdateColumn: updated_at stays, so a restored task is the same.
	res := live(db.WithContext(ctx).Model(&Task{})).Where("id = ?", t.ID).UpdateColumn("deleted_at", gorm.Expr("now()"))
	if res.Error != nil {
		return nil, fmt.Errorf("delete task %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 { // deleted by a concurrent request
		return nil, fmt.Errorf("delete task %s: %w", id, ErrNotFound)
	}
	if err := purgeDeletedTasks(ctx, db); err != nil {
		return nil, err
	}
	if err := RecordAudit(ctx, db, "task.deleted", "task", t.ID, fmt.Sprintf("Deleted task %q", t.Title)); err != nil {
		return nil, err
	}
	return t, nil
}

// RestoreTask undoes DeleteTask: task id of the tenant's project is back
// as it was, and the restore is in the audit log. A task restored already
// (a second Undo, racing the first) is returned as it is, unrecorded; one
// that is not the tenant's, or gone for good, is ErrNotFound. Run it
// inside InTenant.
func RestoreTask(ctx context.Context, db *gorm.DB, projectID, id string) (*Task, error) {
	if !ValidID(projectID) || !ValidID(id) {
		return nil, fmt.Errorf("restore task %q: %w", id, ErrNotFound)
	}
	if _, err := GetProject(ctx, db, projectID); err != nil {
		return nil, err
	}
	res := db.WithContext(ctx).Model(&Task{}).Where("project_id = ? AND id = ? AND deleted_at IS NOT NULL", projectID, id).
		UpdateColumn("deleted_at", nil)
	if res.Error != nil {
		return nil, fmt.Errorf("restore task %s: %w", id, res.Error)
	}
	t, err := GetTask(ctx, db, projectID, id)
	if err != nil || res.RowsAffected == 0 {
		return t, err
	}
	if err := RecordAudit(ctx, db, "task.restored", "task", t.ID, fmt.Sprintf("Restored task %q", t.Title)); err != nil {
		return nil, err
	}
	return t, nil
}

// purgeDeletedTasks removes for good the tenant's tasks deleted longer ago
// than restoreWindow.
func purgeDeletedTasks(ctx context.Context, db *gorm.DB) error {
	err := db.WithContext(ctx).Where("deleted_at < ?", time.Now().Add(-restoreWindow)).Delete(&Task{}).Error
	if err != nil {
		return fmt.Errorf("purge deleted tasks: %w", err)
	}
	return nil
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
	if err := live(db.WithContext(ctx).Model(&Task{})).Select("done, count(*) AS n").Group("done").Find(&rows).Error; err != nil {
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
