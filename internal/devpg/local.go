package devpg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
)

// RepoRoot finds the directory holding go.mod, from the working directory up.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory: run from the repository")
		}
		dir = parent
	}
}

// Local is the project-local cluster of the repository at root, the one
// `make run` and `make test` use: DefaultPort, unless Ensure had to choose
// another because a second checkout's cluster holds it.
func Local(root string) Cluster {
	dir := filepath.Join(root, ".data", "postgres")
	return Cluster{Dir: dir, Port: recordedPort(dir, DefaultPort)}
}

// Server returns the admin URL of the Postgres server to use: configured
// when set (DATABASE_URL, TEST_DATABASE_URL), else the project-local
// cluster, started if needed.
func Server(ctx context.Context, configured string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c, err := Ensure(ctx, Local(root))
	if err != nil {
		return "", fmt.Errorf("start the local Postgres cluster: %w", err)
	}
	return c.URL("postgres"), nil
}

// WithDatabase returns dbURL naming database name instead.
func WithDatabase(dbURL, name string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	u.Path = "/" + name
	return u.String()
}

// Exec runs one statement on a connection of its own (CREATE and DROP
// DATABASE cannot run in a transaction or a pool's session).
func Exec(ctx context.Context, dbURL, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago, for
// the local servers the dev runner, the tests and the benchmarks start.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
