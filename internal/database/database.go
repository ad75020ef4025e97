// Package database opens the GORM connection pool and applies the embedded
// goose migrations.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"example.com/saas/migrations"
)

// PoolConfig bounds the connection pool and what one connection may hold.
type PoolConfig struct {
	MaxOpen     int
	MaxIdle     int
	MaxLifetime time.Duration
	MaxIdleTime time.Duration
	// StatementTimeout and IdleInTxTimeout are Postgres's statement_timeout
	// and idle_in_transaction_session_timeout for every connection of the
	// pool (0 leaves the server's setting): one stuck query, or a
	// transaction left open, cannot hold a pooled connection for ever.
	StatementTimeout time.Duration
	IdleInTxTimeout  time.Duration
	// ConnectTimeout bounds dialling a new connection (0 leaves the URL's
	// connect_timeout, or none), so an unreachable server fails a request
	// fast instead of holding it for the request's whole deadline.
	ConnectTimeout time.Duration
	// AppName is the connections' application_name (pg_stat_activity)
	// unless the URL sets one.
	AppName string
}

// Default timeouts of Pool (DB_STATEMENT_TIMEOUT, DB_IDLE_IN_TX_TIMEOUT,
// DB_CONNECT_TIMEOUT).
const (
	DefaultStatementTimeout = 5 * time.Second
	DefaultIdleInTxTimeout  = 10 * time.Second
	DefaultConnectTimeout   = 2 * time.Second
)

// Pool is the pool for maxConns connections: idle connections kept (a
// request should not pay for a new one), recycled every 30 minutes, with
// the default timeouts.
func Pool(maxConns int) PoolConfig {
	return PoolConfig{MaxOpen: maxConns, MaxIdle: maxConns, MaxLifetime: 30 * time.Minute, MaxIdleTime: 5 * time.Minute,
		StatementTimeout: DefaultStatementTimeout, IdleInTxTimeout: DefaultIdleInTxTimeout, ConnectTimeout: DefaultConnectTimeout}
}

// ConnConfig parses url and applies pool's per-connection settings
// (timeouts, application name). The error never shows the URL, which holds
// a password.
func ConnConfig(url string, pool PoolConfig) (*pgx.ConnConfig, error) {
	connConfig, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, errors.New("parse DATABASE_URL: invalid connection string (value not shown)")
	}
	if connConfig.RuntimeParams == nil {
		connConfig.RuntimeParams = map[string]string{}
	}
	params := connConfig.RuntimeParams
	if pool.StatementTimeout > 0 {
		params["statement_timeout"] = strconv.FormatInt(pool.StatementTimeout.Milliseconds(), 10)
	}
	if pool.IdleInTxTimeout > 0 {
		params["idle_in_transaction_session_timeout"] = strconv.FormatInt(pool.IdleInTxTimeout.Milliseconds(), 10)
	}
	if _, set := params["application_name"]; !set && pool.AppName != "" {
		params["application_name"] = pool.AppName
	}
	if pool.ConnectTimeout > 0 && (connConfig.ConnectTimeout == 0 || connConfig.ConnectTimeout > pool.ConnectTimeout) {
		connConfig.ConnectTimeout = pool.ConnectTimeout
	}
	return connConfig, nil
}

// Open connects to Postgres and checks the connection within ctx.
func Open(ctx context.Context, url string, pool PoolConfig, log *slog.Logger) (*gorm.DB, error) {
	db, err := OpenLazy(url, pool, log)
	if err != nil {
		return nil, err
	}
	if err := Ping(ctx, db); err != nil {
		Close(db)
		return nil, err
	}
	return db, nil
}

// OpenLazy builds the pool without connecting: the server can start while
// the database is down and report it on /readyz.
func OpenLazy(url string, pool PoolConfig, log *slog.Logger) (*gorm.DB, error) {
	connConfig, err := ConnConfig(url, pool)
	if err != nil {
		return nil, err
	}
	lost := &connLossWatch{}
	connConfig.Tracer = lost
	sqlDB := sql.OpenDB(pipelining{stdlib.GetConnector(*connConfig, stdlib.OptionShouldPing(lost.shouldPing))})
	sqlDB.SetMaxOpenConns(pool.MaxOpen)
	sqlDB.SetMaxIdleConns(pool.MaxIdle)
	sqlDB.SetConnMaxLifetime(pool.MaxLifetime)
	sqlDB.SetConnMaxIdleTime(pool.MaxIdleTime)

	db, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{
		Logger:                 newLogger(log),
		TranslateError:         true,
		SkipDefaultTransaction: true, // writes that need a transaction open one explicitly
		DisableAutomaticPing:   true, // Open pings below, with a timeout and a clear error
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open gorm: %w", err)
	}
	return db, nil
}

// connLossWatch notices when the server ends a connection (a restart, a
// failover, pg_terminate_backend) and then has every pooled connection
// pinged before reuse for a while, so the pool drops its other dead
// connections instead of failing one request for each. Otherwise only
// connections idle for over a second are pinged (pgx's default). A
// connection pgx closed because the query's own context ended (a client
// that went away, a request past its deadline) says nothing of the server:
// counting it would have every checkout pay a ping round trip for the next
// ten seconds after each hung-up client.
type connLossWatch struct{ at atomic.Int64 }

func (w *connLossWatch) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (w *connLossWatch) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	w.ended(ctx, conn, data.Err)
}

func (w *connLossWatch) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (w *connLossWatch) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (w *connLossWatch) TraceBatchEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchEndData) {
	w.ended(ctx, conn, data.Err)
}

// ended notes a statement's end on conn with err.
func (w *connLossWatch) ended(ctx context.Context, conn *pgx.Conn, err error) {
	if err != nil && ctx.Err() == nil && conn.IsClosed() {
		w.at.Store(time.Now().UnixNano())
	}
}

func (w *connLossWatch) shouldPing(_ context.Context, p stdlib.ShouldPingParams) bool {
	return p.IdleDuration > time.Second || time.Since(time.Unix(0, w.at.Load())) < 10*time.Second
}

// Ping checks the connection within 5 seconds. pgx's error names the host,
// user and database, never the password.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		return fmt.Errorf("connect to database: %w", err)
	}
	return nil
}

// Close closes the pool behind db.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

var hideRecordedParams sync.Once

func newLogger(log *slog.Logger) logger.Interface {
	// gorm's Scan records its SQL through logger.Recorder, whose params
	// filter is a package variable of its own: without this, raw queries
	// (db.Raw(…).Scan) would be logged with their values inlined. Set for
	// every handle, logged or not, before it is used: a handle opened
	// without a logger, reading the variable while a later one set it,
	// was a data race (two handles in one process, as in tests).
	hideRecordedParams.Do(func() {
		logger.RecorderParamsFilter = func(_ context.Context, sql string, _ ...any) (string, []any) { return sql, nil }
	})
	if log == nil {
		return logger.Discard
	}
	// Only slow queries and errors other than "not found"; SQL values are never logged.
	const slow = 200 * time.Millisecond
	return quietLogger{Interface: logger.NewSlogLogger(log, logger.Config{
		SlowThreshold:             slow,
		LogLevel:                  logger.Warn,
		IgnoreRecordNotFoundError: true,
		ParameterizedQueries:      true,
	}), slow: slow}
}

// quietLogger skips GORM's Trace for fast, successful statements: GORM
// hands Trace a function that renders the statement with its values
// (Dialector.Explain, regular expressions), and the slog logger calls it
// before deciding not to log, on every query.
type quietLogger struct {
	logger.Interface
	slow time.Duration
}

func (l quietLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if err == nil && time.Since(begin) <= l.slow {
		return
	}
	l.Interface.Trace(ctx, begin, fc, err)
}

func (l quietLogger) LogMode(level logger.LogLevel) logger.Interface {
	return quietLogger{Interface: l.Interface.LogMode(level), slow: l.slow}
}

// ParamsFilter keeps values out of the logged SQL (ParameterizedQueries):
// GORM looks for it on the logger itself.
func (l quietLogger) ParamsFilter(ctx context.Context, sql string, params ...any) (string, []any) {
	if f, ok := l.Interface.(gorm.ParamsFilter); ok {
		return f.ParamsFilter(ctx, sql, params...)
	}
	return sql, params
}

// ErrMigrationsPending: the schema is behind the embedded migrations.
var ErrMigrationsPending = errors.New("migrations pending")

// Migrator applies the embedded migrations.
type Migrator struct {
	db       *sql.DB
	provider *goose.Provider
}

// NewMigrator opens a small dedicated connection pool whose sessions carry
// app.tenant_role, read by the migrations that create the tenant role and grant
// it access.
func NewMigrator(url, tenantRole string) (*Migrator, error) {
	connConfig, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, errors.New("parse DATABASE_URL: invalid connection string (value not shown)")
	}
	if connConfig.RuntimeParams == nil {
		connConfig.RuntimeParams = map[string]string{}
	}
	connConfig.RuntimeParams["app.tenant_role"] = tenantRole
	db := stdlib.OpenDB(*connConfig)
	db.SetMaxOpenConns(2)
	db.SetConnMaxIdleTime(time.Minute)
	sub, err := fs.Sub(migrations.FS, ".")
	if err != nil {
		db.Close()
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return &Migrator{db: db, provider: p}, nil
}

// Close releases the migrator's connections.
func (m *Migrator) Close() error { return m.db.Close() }

// Up applies every pending migration.
func (m *Migrator) Up(ctx context.Context) ([]*goose.MigrationResult, error) {
	res, err := m.provider.Up(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate up: %w", err)
	}
	return res, nil
}

// Down rolls back the latest migration.
func (m *Migrator) Down(ctx context.Context) (*goose.MigrationResult, error) {
	res, err := m.provider.Down(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate down: %w", err)
	}
	return res, nil
}

// Status lists every migration and whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]*goose.MigrationStatus, error) {
	st, err := m.provider.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	return st, nil
}

// HasPending reports whether migrations remain to be applied.
func (m *Migrator) HasPending(ctx context.Context) (bool, error) {
	return m.provider.HasPending(ctx)
}
