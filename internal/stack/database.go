package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"example.com/saas/internal/database"
	"example.com/saas/internal/devpg"
)

// TenantRole is the app's default DB_TENANT_ROLE, the role the migrations
// grant and every tenant transaction runs as.
const TenantRole = "app_tenant"

// Database is a fresh database on a Postgres server.
type Database struct {
	// Name is the database's name.
	Name string
	// URL connects to it as the server's admin (row-level security does
	// not apply).
	URL   string
	admin string
}

// NewDatabase creates the database <prefix>_<8 hex digits> on the server
// at admin (an admin URL, as devpg.Server returns) and applies the
// migrations.
func NewDatabase(ctx context.Context, admin, prefix string) (*Database, error) {
	suffix := make([]byte, 4)
	rand.Read(suffix)
	d := &Database{Name: prefix + "_" + hex.EncodeToString(suffix), admin: admin}
	if err := devpg.Exec(ctx, admin, "CREATE DATABASE "+d.Name); err != nil {
		return nil, fmt.Errorf("create database %s: %w", d.Name, err)
	}
	d.URL = devpg.WithDatabase(admin, d.Name)
	if err := migrate(ctx, d.URL); err != nil {
		d.Drop(ctx)
		return nil, fmt.Errorf("database %s: %w", d.Name, err)
	}
	return d, nil
}

// Drop drops the database, ending the connections to it.
func (d *Database) Drop(ctx context.Context) error {
	if err := devpg.Exec(ctx, d.admin, "DROP DATABASE IF EXISTS "+d.Name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", d.Name, err)
	}
	return nil
}

// migrate applies the migrations to the database at dbURL.
func migrate(ctx context.Context, dbURL string) error {
	m, err := database.NewMigrator(dbURL, TenantRole)
	if err != nil {
		return err
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
