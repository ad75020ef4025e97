package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Project is the sample tenant-owned entity: it belongs to one organization
// and is only reached through the tenant scope.
type Project struct {
	OrganizationID string    `json:"organization_id"`
	ID             string    `gorm:"primaryKey" json:"id"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	Status         string    `json:"status"`
	CreatedBy      *string   `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// TenantOwned puts Project behind the tenant scope and guard.
func (Project) TenantOwned() {}

// Project statuses.
const (
	StatusActive   = "active"
	StatusArchived = "archived"
)

// ProjectFields are the fields a user sets; validated by the caller.
type ProjectFields struct {
	Name        string
	Description string
	Status      string
}

// pageKey is the project's keyset sort key.
func (p Project) pageKey() (time.Time, string) { return p.CreatedAt, p.ID }

// ListProjects returns the tenant's projects newest first, keyset-paginated
// on (created_at, id); opts.Query filters by name.
func ListProjects(ctx context.Context, db *gorm.DB, opts ListOptions) (Page[Project], error) {
	q := db.WithContext(ctx).Model(&Project{})
	if s := strings.TrimSpace(opts.Query); s != "" {
		q = q.Where("lower(name) LIKE ?", "%"+escapeLike(strings.ToLower(s))+"%")
	}
	page, err := listPage[Project](q, newestFirst, opts.Cursor, opts.Limit)
	if err != nil {
		return Page[Project]{}, fmt.Errorf("list projects: %w", err)
	}
	return page, nil
}

// GetProject returns the tenant's project id; ErrNotFound for another
// tenant's id or a malformed one.
func GetProject(ctx context.Context, db *gorm.DB, id string) (*Project, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("project %q: %w", id, ErrNotFound)
	}
	return takeOne[Project](db.WithContext(ctx).Where("id = ?", id), "project "+id)
}

// CreateProject creates a project in the tenant and records it in the audit
// log. Run it inside InTenant, so both commit together.
func CreateProject(ctx context.Context, db *gorm.DB, f ProjectFields) (*Project, error) {
	t, ok := TenantFrom(ctx)
	if !ok {
		return nil, ErrNoTenant
	}
	p := Project{ID: uuid.NewString(), Name: f.Name, Description: f.Description, Status: f.Status, CreatedBy: &t.UserID}
	if p.Status == "" {
		p.Status = StatusActive
	}
	if err := db.WithContext(ctx).Create(&p).Error; err != nil {
		return nil, fmt.Errorf("create project: %w", err)
	}
	if err := RecordAudit(ctx, db, "project.created", "project", p.ID, fmt.Sprintf("Created project %q", p.Name)); err != nil {
		return nil, err
	}
	return &p, nil
}

// UpdateProject changes the tenant's project id and records it in the audit
// log. Run it inside InTenant.
func UpdateProject(ctx context.Context, db *gorm.DB, id string, f ProjectFields) (*Project, error) {
	p, err := GetProject(ctx, db, id)
	if err != nil {
		return nil, err
	}
	summary := fmt.Sprintf("Updated project %q", f.Name)
	if p.Name != f.Name {
		summary = fmt.Sprintf("Renamed project %q to %q", p.Name, f.Name)
	}
	changes := map[string]any{"name": f.Name, "description": f.Description, "status": f.Status}
	if err := db.WithContext(ctx).Model(p).Updates(changes).Error; err != nil {
		return nil, fmt.Errorf("update project %s: %w", id, err)
	}
	if err := RecordAudit(ctx, db, "project.updated", "project", p.ID, summary); err != nil {
		return nil, err
	}
	return p, nil
}

// DeleteProject deletes the tenant's project id with its tasks and records
// it in the audit log. Run it inside InTenant.
func DeleteProject(ctx context.Context, db *gorm.DB, id string) error {
	p, err := GetProject(ctx, db, id)
	if err != nil {
		return err
	}
	res := db.WithContext(ctx).Delete(&Project{}, "id = ?", p.ID)
	if res.Error != nil {
		return fmt.Errorf("delete project %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete project %s: %w", id, ErrNotFound)
	}
	return RecordAudit(ctx, db, "project.deleted", "project", p.ID, fmt.Sprintf("Deleted project %q", p.Name))
}

// CountProjects counts the tenant's projects.
func CountProjects(ctx context.Context, db *gorm.DB) (int64, error) {
	var n int64
	if err := db.WithContext(ctx).Model(&Project{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count projects: %w", err)
	}
	return n, nil
}
