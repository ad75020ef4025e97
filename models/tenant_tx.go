package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"example.com/saas/internal/database"
)

// beginner starts transactions in one round trip: BEGIN and the statements
// that open every transaction of its kind (entering the tenant, recording a
// webhook delivery) go to Postgres as one simple-protocol message (the
// simple protocol allows several statements; pgx puts the arguments in as
// literals with its own quoting, and refuses to when the server's
// standard_conforming_strings is off). It keeps the transaction it began,
// so InTenant can ask whether it wrote.
type beginner struct {
	*sql.DB
	// first follows BEGIN in the message; args are its arguments.
	first string
	args  []any
	// read, when set, makes the transaction a readTx whose statements
	// carry it instead (first and args are then unused).
	read *database.Prelude
	// began, when set, is told the result of first's last statement.
	began func(sql.Result)
	tx    *connTx
}

// BeginTx implements gorm.ConnPoolBeginner.
func (b *beginner) BeginTx(ctx context.Context, _ *sql.TxOptions) (gorm.ConnPool, error) {
	conn, err := b.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if b.read != nil {
		return &readTx{conn: conn, prelude: b.read}, nil
	}
	res, err := conn.ExecContext(ctx, "BEGIN; "+b.first, append([]any{pgx.QueryExecModeSimpleProtocol}, b.args...)...)
	if err != nil {
		discard(conn)
		return nil, err
	}
	if b.began != nil {
		b.began(res)
	}
	b.tx = &connTx{Conn: conn, ctx: ctx}
	return b.tx, nil
}

// transaction runs fn in one transaction begun by b, on a connection of
// db's pool.
func (b *beginner) transaction(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	b.DB = sqlDB
	tx := db.WithContext(ctx).Session(&gorm.Session{})
	tx.Statement.ConnPool = b
	return tx.Transaction(fn)
}

// mayHaveWritten reports whether the transaction begun, if any, may have
// written: a read-only one never has.
func (b *beginner) mayHaveWritten() bool {
	return b.read == nil && b.tx != nil && b.tx.wrote
}

// enterTenant follows BEGIN in a tenant transaction.
const enterTenant = "SELECT set_config('role', $1, true), set_config('app.current_org_id', $2, true)"

// readTenant is the prelude of every statement of a tenant's readTx.
const readTenant = "SELECT set_config('transaction_read_only', 'on', true), set_config('role', $1, true), set_config('app.current_org_id', $2, true)"

// readInTenant is the readTx prelude for tenantRole and orgID.
func readInTenant(tenantRole, orgID string) *database.Prelude {
	return &database.Prelude{SQL: readTenant, Args: []any{tenantRole, orgID}}
}

// readTx is a READ ONLY transaction made of its statements alone: each one
// goes to Postgres with the settings that open the transaction (read only,
// the tenant's role and organization) in one pipeline, one round trip
// (database.Prelude), where BEGIN with the settings, the statement and
// COMMIT took three. Nothing stays open between statements. Under
// READ COMMITTED, Postgres's default, every statement of a transaction
// takes a snapshot of its own, so reads see what they would have seen in
// one transaction; a read-only transaction can take no row locks, so there
// are none to hold between them either.
//
// It holds its connection rather than embedding it: an embedded
// *sql.Conn's BeginTx would let a GORM Begin inside fn open a transaction
// of statements without the prelude.
type readTx struct {
	conn    *sql.Conn
	prelude *database.Prelude
	done    bool
}

func (t *readTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.conn.ExecContext(ctx, query, t.withPrelude(args)...)
}

func (t *readTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.conn.QueryContext(ctx, query, t.withPrelude(args)...)
}

func (t *readTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.conn.QueryRowContext(ctx, query, t.withPrelude(args)...)
}

// PrepareContext refuses: a prepared statement would run without the
// prelude.
func (t *readTx) PrepareContext(context.Context, string) (*sql.Stmt, error) {
	return nil, errors.New("read-only tenant transaction: prepared statements are not supported")
}

func (t *readTx) withPrelude(args []any) []any {
	return append([]any{t.prelude}, args...)
}

// Commit implements gorm.TxCommitter: there is nothing to commit, and the
// connection goes back to the pool.
func (t *readTx) Commit() error { return t.end() }

// Rollback implements gorm.TxCommitter.
func (t *readTx) Rollback() error { return t.end() }

func (t *readTx) end() error {
	if t.done {
		return sql.ErrTxDone
	}
	t.done = true
	return t.conn.Close()
}

// enterTenant runs fn as another tenant (a nested InTenant) on t's
// connection: fn's statements carry that tenant's settings instead.
func (t *readTx) enterTenant(ctx context.Context, db *gorm.DB, tenantRole, orgID string, fn func(tx *gorm.DB) error) error {
	inner := &readTx{conn: t.conn, prelude: readInTenant(tenantRole, orgID)}
	tx := db.WithContext(ctx).Session(&gorm.Session{})
	tx.Statement.ConnPool = inner
	return fn(tx)
}

// connTx is a transaction on a connection taken from the pool; GORM runs
// the statements of fn on it and commits or rolls back through it.
type connTx struct {
	*sql.Conn
	ctx  context.Context
	done bool
	// wrote is set before any statement that may write is sent (see
	// markWrite): after it, a lost connection may have lost a commit's
	// answer, not only the transaction, so the work is not run again.
	wrote bool
}

// Commit implements gorm.TxCommitter.
func (t *connTx) Commit() error { return t.end("COMMIT") }

// Rollback implements gorm.TxCommitter.
func (t *connTx) Rollback() error { return t.end("ROLLBACK") }

func (t *connTx) end(stmt string) error {
	if t.done {
		return sql.ErrTxDone
	}
	t.done = true
	// Not cancelled with the request: the connection must leave the
	// transaction before it goes back to the pool.
	if _, err := t.Conn.ExecContext(context.WithoutCancel(t.ctx), stmt); err != nil {
		discard(t.Conn)
		return err
	}
	return t.Conn.Close()
}

// discard closes conn and keeps it out of the pool (it may be inside a
// transaction).
func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}
