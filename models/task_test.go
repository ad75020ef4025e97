package models_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"gorm.io/gorm"

	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// inTenant runs fn as ctx's tenant with row-level security on, as the
// handlers do.
func inTenant(t *testing.T, ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	t.Helper()
	return models.InTenant(ctx, db, testenv.TenantRole, fn)
}

// TestTaskCountsPagesAndSoftDelete: counts are of every live task, not a
// page; Until bounds a list; a deleted task leaves lists, counts and
// lookups, comes back unchanged, and only for its own tenant; one deleted
// long ago is purged by a later delete.
func TestTaskCountsPagesAndSoftDelete(t *testing.T) {
	t.Parallel()
	db, ctxA, ctxB := tenantFixture(t)
	p := mustProject(t, ctxA, db, "Alpha")
	var ids []string
	err := inTenant(t, ctxA, db, func(tx *gorm.DB) error {
		for i := range 130 {
			task, err := models.CreateTask(ctxA, tx, p.ID, fmt.Sprintf("Task %03d", i+1), "")
			if err != nil {
				return err
			}
			ids = append(ids, task.ID)
		}
		done := true
		for _, id := range ids[:3] {
			if _, err := models.UpdateTask(ctxA, tx, p.ID, id, models.TaskChanges{Done: &done}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	progress := func(ctx context.Context) models.TaskProgress {
		t.Helper()
		var got models.TaskProgress
		if err := inTenant(t, ctx, db, func(tx *gorm.DB) (err error) {
			got, err = models.CountProjectTasks(ctx, tx, p.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := progress(ctxA); got != (models.TaskProgress{Total: 130, Done: 3}) {
		t.Errorf("progress = %+v, want 130 and 3 done", got)
	}
	if got := progress(ctxB); got != (models.TaskProgress{}) {
		t.Errorf("B counts A's tasks: %+v", got)
	}

	// Every task once, in order, across pages; Until stops at a task.
	var seen []string
	var until string
	err = inTenant(t, ctxA, db, func(tx *gorm.DB) error {
		opts := models.ListOptions{Limit: 50}
		for {
			page, err := models.ListTasks(ctxA, tx, p.ID, opts)
			if err != nil {
				return err
			}
			for _, task := range page.Items {
				seen = append(seen, task.ID)
			}
			if page.NextCursor == "" {
				break
			}
			opts.Cursor = page.NextCursor
		}
		first, err := models.ListTasks(ctxA, tx, p.ID, models.ListOptions{Limit: 10})
		if err != nil {
			return err
		}
		until = first.NextCursor // the 10th task
		bounded, err := models.ListTasks(ctxA, tx, p.ID, models.ListOptions{Limit: 100, Until: until})
		if len(bounded.Items) != 10 || bounded.NextCursor != "" {
			t.Errorf("until the 10th: %d tasks, next %q", len(bounded.Items), bounded.NextCursor)
		}
		return err
	})
	if err != nil || fmt.Sprint(seen) != fmt.Sprint(ids) {
		t.Fatalf("pages listed %d tasks (%v), want all 130 in order", len(seen), err)
	}

	// Delete, then restore: the same row again.
	var before, after models.Task
	db.Raw("SELECT * FROM tasks WHERE id = ?", ids[1]).Scan(&before)
	err = inTenant(t, ctxA, db, func(tx *gorm.DB) error {
		if _, err := models.DeleteTask(ctxA, tx, p.ID, ids[1]); err != nil {
			return err
		}
		if _, err := models.GetTask(ctxA, tx, p.ID, ids[1]); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("get a deleted task: %v, want ErrNotFound", err)
		}
		if _, err := models.DeleteTask(ctxA, tx, p.ID, ids[1]); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("delete twice: %v, want ErrNotFound", err)
		}
		page, err := models.ListTasks(ctxA, tx, p.ID, models.ListOptions{Limit: 3})
		if err == nil && (page.Items[1].ID != ids[2]) {
			t.Errorf("list after delete starts %s, %s", page.Items[0].ID, page.Items[1].ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := progress(ctxA); got != (models.TaskProgress{Total: 129, Done: 2}) {
		t.Errorf("progress after delete = %+v, want 129 and 2 done", got)
	}
	if c, _ := countTasks(t, ctxA, db); c.Done != 2 || c.Open != 127 {
		t.Errorf("dashboard counts after delete = %+v", c)
	}
	err = inTenant(t, ctxB, db, func(tx *gorm.DB) error {
		_, err := models.RestoreTask(ctxB, tx, p.ID, ids[1])
		return err
	})
	if !errors.Is(err, models.ErrNotFound) {
		t.Errorf("B restores A's task: %v, want ErrNotFound", err)
	}
	err = inTenant(t, ctxA, db, func(tx *gorm.DB) error {
		_, err := models.RestoreTask(ctxA, tx, p.ID, ids[1])
		return err
	})
	db.Raw("SELECT * FROM tasks WHERE id = ?", ids[1]).Scan(&after)
	if err != nil || fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("restored (%v):\n%+v\nwant\n%+v", err, after, before)
	}

	// Deleted two days ago: the next delete purges it for good.
	for _, id := range ids[5:7] {
		if err := inTenant(t, ctxA, db, func(tx *gorm.DB) error {
			_, err := models.DeleteTask(ctxA, tx, p.ID, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		db.Exec("UPDATE tasks SET deleted_at = now() - interval '2 days' WHERE id = ?", ids[5])
	}
	var left int64
	db.Raw("SELECT count(*) FROM tasks WHERE id IN (?, ?)", ids[5], ids[6]).Scan(&left)
	if left != 1 {
		t.Errorf("%d of the two deleted tasks left, want the recent one", left)
	}
}

func countTasks(t *testing.T, ctx context.Context, db *gorm.DB) (c models.TaskCounts, err error) {
	t.Helper()
	err = inTenant(t, ctx, db, func(tx *gorm.DB) error {
		c, err = models.CountTasks(ctx, tx)
		return err
	})
	return c, err
}
