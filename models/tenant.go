package models

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Tenant is the organization a request works in, with the signed-in user's
// role and permissions there, read from the local memberships table.
type Tenant struct {
	OrgID       string
	Slug        string
	Name        string
	UserID      string
	Role        string
	Permissions []string
}

// Permissions the app checks. Clerk's system permissions (org:sys_*) and the
// app's own (org:projects:*) come from the membership.
const (
	PermProjectsRead      = "org:projects:read"
	PermProjectsManage    = "org:projects:manage"
	PermMembershipsRead   = "org:sys_memberships:read"
	PermMembershipsManage = "org:sys_memberships:manage"
	PermProfileManage     = "org:sys_profile:manage"
	PermProfileDelete     = "org:sys_profile:delete"
	PermDomainsRead       = "org:sys_domains:read"
	PermDomainsManage     = "org:sys_domains:manage"
)

// Can reports whether the tenant's user holds permission: admins hold every
// permission, other roles those of their membership.
func (t Tenant) Can(permission string) bool {
	return t.IsAdmin() || slices.Contains(t.Permissions, permission)
}

// IsAdmin reports whether the user is an admin of the organization.
func (t Tenant) IsAdmin() bool { return NormalizeRole(t.Role) == RoleAdmin }

// WithTenant returns a context carrying t.
func WithTenant(ctx context.Context, t Tenant) context.Context {
	return context.WithValue(ctx, tenantKey, t)
}

// TenantFrom returns the request's tenant, if it has one.
func TenantFrom(ctx context.Context) (Tenant, bool) {
	t, ok := ctx.Value(tenantKey).(Tenant)
	return t, ok && t.OrgID != ""
}

// PermissionError is a refusal that names the missing permission, so the
// 403 page can say which one the user lacks.
type PermissionError struct {
	Permission string
}

func (e *PermissionError) Error() string { return "missing permission " + e.Permission }

// Is makes a PermissionError match ErrForbidden.
func (e *PermissionError) Is(target error) bool { return target == ErrForbidden }

// ErrNoActiveOrganization: an API token without an active organization asked
// for tenant data.
var ErrNoActiveOrganization = errors.New("the session has no active organization")

// TenantOwned marks a model whose rows belong to one organization: its table
// has organization_id and row-level security, and every GORM query on it
// goes through the tenant scope and guard (RegisterTenantGuard).
type TenantOwned interface {
	TenantOwned()
}

// orgColumn is the tenant key of every tenant-owned table.
const orgColumn = "organization_id"

// guardName is the query callback whose presence InTenant checks.
const guardName = "tenant:query"

// RegisterTenantGuard installs the first two walls on db, once, at start-up:
//
//  1. the tenant scope: every query, update and delete of a TenantOwned
//     model gets WHERE organization_id = <the context's tenant>, and every
//     create and update has its organization_id overwritten with it, so
//     an organization_id from user input is never written;
//  2. the guard: any such statement whose context has no tenant fails with
//     ErrNoTenant before reaching the database.
//
// GORM cannot see which tables a raw db.Raw/db.Exec touches, so raw SQL is
// covered only by the third wall, row-level security (InTenant).
func RegisterTenantGuard(db *gorm.DB) error {
	cb := db.Callback()
	regs := []struct {
		name string
		err  error
	}{
		{"query", cb.Query().Before("gorm:query").Register(guardName, scopeFilter)},
		{"row", cb.Row().Before("gorm:row").Register("tenant:row", scopeFilter)},
		{"delete", cb.Delete().Before("gorm:before_delete").Register("tenant:delete", scopeFilter)},
		{"update", cb.Update().Before("gorm:before_update").Register("tenant:update", scopeUpdate)},
		{"create", cb.Create().Before("gorm:before_create").Register("tenant:create", scopeCreate)},
		// The write marker (see connTx.wrote): before the statement goes out.
		{"create write", cb.Create().Before("gorm:create").Register("tenant:create_write", markWrite)},
		{"update write", cb.Update().Before("gorm:update").Register("tenant:update_write", markWrite)},
		{"delete write", cb.Delete().Before("gorm:delete").Register("tenant:delete_write", markWrite)},
		{"exec write", cb.Raw().Before("gorm:raw").Register("tenant:exec_write", markWrite)},
		{"raw query write", cb.Query().Before("gorm:query").Register("tenant:raw_query_write", markRawWrite)},
		{"raw row write", cb.Row().Before("gorm:row").Register("tenant:raw_row_write", markRawWrite)},
	}
	for _, r := range regs {
		if r.err != nil {
			return fmt.Errorf("register tenant %s callback: %w", r.name, r.err)
		}
	}
	return nil
}

// markWrite notes that the statement's tenant transaction, if it is in
// one, may have written from here on.
func markWrite(db *gorm.DB) {
	if t, ok := db.Statement.ConnPool.(*connTx); ok {
		t.wrote = true
	}
}

// markRawWrite is markWrite for a query or row statement given as raw SQL
// (db.Raw): GORM cannot tell an INSERT … RETURNING from a SELECT, so raw SQL
// counts as a write. The SELECTs GORM builds itself are reads.
func markRawWrite(db *gorm.DB) {
	if db.Statement.SQL.Len() > 0 {
		markWrite(db)
	}
}

// tenantOf returns the statement's tenant when its model is tenant-owned;
// owned is false for other models. A tenant-owned statement without a
// tenant gets ErrNoTenant (the guard).
func tenantOf(db *gorm.DB) (t Tenant, owned bool) {
	if db.Error != nil || db.Statement.Schema == nil {
		return Tenant{}, false
	}
	if _, ok := reflect.New(db.Statement.Schema.ModelType).Interface().(TenantOwned); !ok {
		return Tenant{}, false
	}
	t, ok := TenantFrom(db.Statement.Context)
	if !ok {
		db.AddError(fmt.Errorf("%s %s: %w", db.Statement.Schema.Table, db.Statement.Schema.Name, ErrNoTenant))
		return Tenant{}, false
	}
	return t, true
}

// scopeFilter adds the tenant condition to queries and deletes.
func scopeFilter(db *gorm.DB) {
	t, owned := tenantOf(db)
	if !owned {
		return
	}
	db.Statement.AddClause(clause.Where{Exprs: []clause.Expression{
		clause.Eq{Column: clause.Column{Table: clause.CurrentTable, Name: orgColumn}, Value: t.OrgID},
	}})
}

// scopeUpdate filters updates and pins organization_id to the tenant, in a
// map of changes as in a struct.
func scopeUpdate(db *gorm.DB) {
	t, owned := tenantOf(db)
	if !owned {
		return
	}
	scopeFilter(db)
	if m, ok := db.Statement.Dest.(map[string]any); ok {
		for k := range m {
			if strings.EqualFold(k, orgColumn) || k == "OrganizationID" {
				m[k] = t.OrgID
			}
		}
		return
	}
	stampOrg(db, t)
}

// scopeCreate stamps organization_id from the tenant on every new row.
func scopeCreate(db *gorm.DB) {
	if t, owned := tenantOf(db); owned {
		stampOrg(db, t)
	}
}

// stampOrg sets organization_id on the statement's rows and, for
// Updates(struct), on the struct of changes too.
func stampOrg(db *gorm.DB, t Tenant) {
	f := db.Statement.Schema.LookUpField(orgColumn)
	if f == nil {
		db.AddError(fmt.Errorf("%s has no %s column: %w", db.Statement.Schema.Name, orgColumn, ErrNoTenant))
		return
	}
	set := func(rv reflect.Value) {
		rv = reflect.Indirect(rv)
		if rv.Kind() != reflect.Struct || rv.Type() != db.Statement.Schema.ModelType {
			return
		}
		if !rv.CanAddr() { // a struct passed by value cannot be stamped: refuse a foreign id
			if v, zero := f.ValueOf(db.Statement.Context, rv); !zero && v != t.OrgID {
				db.AddError(fmt.Errorf("%s of another organization: %w", db.Statement.Schema.Name, ErrForbidden))
			}
			return
		}
		if err := f.Set(db.Statement.Context, rv, t.OrgID); err != nil {
			db.AddError(err)
		}
	}
	for _, rv := range []reflect.Value{db.Statement.ReflectValue, reflect.ValueOf(db.Statement.Dest)} {
		rv = reflect.Indirect(rv)
		if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
			for i := range rv.Len() {
				set(rv.Index(i))
			}
			continue
		}
		set(rv)
	}
}

// ErrGuardMissing: InTenant was given a *gorm.DB without RegisterTenantGuard.
var ErrGuardMissing = errors.New("tenant guard not registered on this database handle (call models.RegisterTenantGuard at start-up)")

// InTenant runs fn in one transaction confined to the context's tenant, the
// third wall: it first switches to tenantRole (a NOLOGIN role without
// BYPASSRLS, so row-level security applies even when db connects as a
// superuser) and sets app.current_org_id, both transaction-local, in one
// round trip. fn gets the transaction with ctx. Without a tenant it fails
// with ErrNoTenant; tenantRole must be a validated plain identifier.
//
// For a ReadOnly context the transaction is read only, and its statements
// each go with those settings in one round trip of their own (readTx): a
// read of one statement costs one round trip, as it would without
// row-level security.
//
// A transaction that loses its connection (IsConnectionLost) before it
// wrote anything runs again once, on another connection, within ctx's
// deadline: fn may so run twice, and must only assign what it captures
// (never append to it). "Wrote" is tracked, not guessed: a transaction of a
// ReadOnly context is READ ONLY, so Postgres refuses its writes; in others
// every GORM create, update, delete or Exec, and every raw query, counts as
// a write from the moment it is sent. Work that may have written is never
// run again; its error says the connection was lost (the handlers answer
// 503 with Retry-After).
//
// Given a db inside an open transaction (a *gorm.DB of Transaction or
// Begin), InTenant joins it instead of opening a second one on another
// connection: fn's work commits or rolls back with the outer transaction,
// and needs no second connection (a pool of one would wait for ever). fn
// then runs under a savepoint with the tenant's role and organization set;
// when fn fails its work and the settings are rolled back to the savepoint,
// and when it succeeds the outer transaction's own role and organization
// setting are restored, so the outer work after InTenant runs as before.
// Inside a read-only transaction, fn's statements simply carry the inner
// tenant's settings.
func InTenant(ctx context.Context, db *gorm.DB, tenantRole string, fn func(tx *gorm.DB) error) error {
	t, ok := TenantFrom(ctx)
	if !ok {
		return ErrNoTenant
	}
	if tenantRole == "" {
		return errors.New("tenant transaction: no tenant role configured")
	}
	if db.Callback().Query().Get(guardName) == nil {
		return ErrGuardMissing
	}
	if tx, ok := openTx(db); ok {
		if rt, ok := tx.(*readTx); ok {
			return rt.enterTenant(ctx, db, tenantRole, t.OrgID, fn)
		}
		return joinTenant(ctx, db, tx, tenantRole, t.OrgID, fn)
	}
	for attempt := 1; ; attempt++ {
		b := &beginner{first: enterTenant, args: []any{tenantRole, t.OrgID}}
		if IsReadOnly(ctx) {
			b.read = readInTenant(tenantRole, t.OrgID)
		}
		err := b.transaction(ctx, db, fn)
		// Once more, on another connection, when the connection was lost
		// and the transaction wrote nothing: nothing can have been
		// committed, so fn's work is simply lost with it.
		if err == nil || attempt > 1 || b.mayHaveWritten() || !retryable(ctx, err) || !pauseBeforeRetry(ctx) {
			return err
		}
	}
}

// openTx returns db's connection when db is inside an open transaction.
func openTx(db *gorm.DB) (gorm.ConnPool, bool) {
	if db.Statement == nil || db.Statement.ConnPool == nil {
		return nil, false
	}
	c, ok := db.Statement.ConnPool.(gorm.TxCommitter)
	return db.Statement.ConnPool, ok && c != nil
}

// joinSavepoint is the savepoint of a joined InTenant. Joined InTenants
// nest strictly, and Postgres resolves a repeated savepoint name to the
// latest one, so one name serves every level.
const joinSavepoint = "in_tenant"

// joinTenant is InTenant inside the open transaction conn of db.
func joinTenant(ctx context.Context, db *gorm.DB, conn gorm.ConnPool, tenantRole, orgID string, fn func(tx *gorm.DB) error) error {
	if _, err := conn.ExecContext(ctx, "SAVEPOINT "+joinSavepoint); err != nil {
		return fmt.Errorf("tenant savepoint: %w", err)
	}
	// The outer settings are read by the materialized CTE, whose row exists
	// before the select list sets the tenant's.
	var prevRole, prevOrg, ignored string
	err := conn.QueryRowContext(ctx, `
WITH prev AS MATERIALIZED (
    SELECT current_setting('role') AS role, coalesce(current_setting('app.current_org_id', true), '') AS org)
SELECT role, org, set_config('role', $1, true), set_config('app.current_org_id', $2, true) FROM prev`,
		tenantRole, orgID).Scan(&prevRole, &prevOrg, &ignored, &ignored)
	if err == nil {
		err = fn(db.WithContext(ctx))
	}
	if err != nil {
		// Undoes fn's work and the settings; the outer transaction goes on.
		if _, rbErr := conn.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+joinSavepoint+"; RELEASE SAVEPOINT "+joinSavepoint); rbErr != nil {
			return errors.Join(err, fmt.Errorf("roll back to the tenant savepoint: %w", rbErr))
		}
		return err
	}
	if _, err := conn.ExecContext(ctx, `SELECT set_config('role', $1, true), set_config('app.current_org_id', $2, true)`, prevRole, prevOrg); err != nil {
		return fmt.Errorf("leave the tenant: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "RELEASE SAVEPOINT "+joinSavepoint); err != nil {
		return fmt.Errorf("release the tenant savepoint: %w", err)
	}
	return nil
}
