package models

import (
	"context"
	"database/sql"
	"database/sql/driver"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
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
	// readOnly begins a READ ONLY transaction.
	readOnly bool
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
	begin := "BEGIN; "
	if b.readOnly {
		begin = "BEGIN READ ONLY; "
	}
	res, err := conn.ExecContext(ctx, begin+b.first, append([]any{pgx.QueryExecModeSimpleProtocol}, b.args...)...)
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
// written: a READ ONLY one never has.
func (b *beginner) mayHaveWritten() bool {
	return !b.readOnly && b.tx != nil && b.tx.wrote
}

// enterTenant follows BEGIN in a tenant transaction.
const enterTenant = "SELECT set_config('role', $1, true), set_config('app.current_org_id', $2, true)"

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
