// Package testenv gives tests a real PostgreSQL: each call to DB returns a
// fresh database cloned from a migrated template, dropped when the test ends.
//
// The server is TEST_DATABASE_URL when set, else the project-local cluster
// that `make run` uses (started on demand). No server is a test failure with
// a clear message, never a skip.
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"gorm.io/gorm"

	"example.com/saas/internal/database"
	"example.com/saas/internal/devpg"
	"example.com/saas/migrations"
)

// TenantRole is the tenant role every test database uses.
const TenantRole = "app_tenant"

// server is the test Postgres server of this process: one admin pool for
// creating and dropping databases, and the migrated template, built once.
type server struct {
	url   string
	admin *pgxpool.Pool
	// tpl is the template's name; clone is the CREATE DATABASE suffix
	// that copies it (FILE_COPY where the server has it: about half the
	// work of the default WAL_LOG for a database this small).
	tpl   string
	clone string
}

var (
	serverOnce sync.Once
	srv        *server
	serverErr  error
)

// ServerURL returns a URL of the test Postgres server (its "postgres"
// database), failing the test when there is none.
func ServerURL(t testing.TB) string {
	t.Helper()
	return testServer(t).url
}

func testServer(t testing.TB) *server {
	t.Helper()
	serverOnce.Do(func() { srv, serverErr = startServer(context.Background()) })
	if serverErr != nil {
		t.Fatalf("testenv: no PostgreSQL for tests: %v", serverErr)
	}
	return srv
}

func startServer(ctx context.Context) (*server, error) {
	u, err := devpg.Server(ctx, os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		return nil, fmt.Errorf("%w (or set TEST_DATABASE_URL)", err)
	}
	admin, err := pgxpool.New(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("connect to the test server: %w", err)
	}
	s := &server{url: u, admin: admin}
	var version int
	if err := admin.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		admin.Close()
		return nil, fmt.Errorf("connect to the test server: %w", err)
	}
	if version >= 150000 {
		s.clone = " STRATEGY FILE_COPY"
	}
	if s.tpl, err = ensureTemplate(ctx, u); err != nil {
		admin.Close()
		return nil, fmt.Errorf("template database: %w", err)
	}
	return s, nil
}

// create makes database name (a clone of the template when clone is set)
// and drops it when the test ends.
func (s *server) create(t testing.TB, name string, clone bool) string {
	t.Helper()
	sql := "CREATE DATABASE " + name
	if clone {
		sql += " TEMPLATE " + s.tpl + s.clone
	}
	if _, err := s.admin.Exec(context.Background(), sql); err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	t.Cleanup(func() {
		s.admin.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	})
	return devpg.WithDatabase(s.url, name)
}

// DB returns a GORM handle on a fresh, migrated database and its URL.
func DB(t testing.TB) (*gorm.DB, string) {
	t.Helper()
	dbURL := NewDatabase(t)
	db, err := database.Open(context.Background(), dbURL, database.PoolConfig{MaxOpen: 8, MaxIdle: 8, MaxLifetime: time.Hour, MaxIdleTime: time.Minute}, nil)
	if err != nil {
		t.Fatalf("testenv: open %s: %v", dbName(dbURL), err)
	}
	t.Cleanup(func() { database.Close(db) })
	return db, dbURL
}

// NewDatabase creates a fresh migrated database and returns its URL; it is
// dropped when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return testServer(t).create(t, "test_"+randomHex(6), true)
}

// EmptyDatabase creates a database with no migrations applied (for migration
// tests), dropped when the test ends.
func EmptyDatabase(t testing.TB) string {
	t.Helper()
	return testServer(t).create(t, "test_"+randomHex(6), false)
}

// ensureTemplate builds the migrated template database once per migration
// set; an advisory lock keeps parallel test binaries from racing.
func ensureTemplate(ctx context.Context, admin string) (string, error) {
	name := "tpl_" + migrationsHash()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("connect to the test server: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(724301)"); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(724301)")
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return "", err
	}
	m, err := database.NewMigrator(devpg.WithDatabase(admin, building), TenantRole)
	if err != nil {
		return "", err
	}
	_, err = m.Up(ctx)
	m.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, name)); err != nil {
		return "", err
	}
	return name, nil
}

func migrationsHash() string {
	h := sha256.New()
	fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := migrations.FS.ReadFile(path)
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func dbName(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "?"
	}
	return strings.TrimPrefix(u.Path, "/")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
