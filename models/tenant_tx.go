package models

import (
	"context"
	"database/sql"
	"database/sql/driver"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// tenantBeginner starts tenant transactions in one round trip: BEGIN and
// the two set_config calls go to Postgres as one simple-protocol message
// (the simple protocol allows several statements; pgx puts the arguments in
// as literals with its own quoting, and refuses to when the server's
// standard_conforming_strings is off).
type tenantBeginner struct {
	*sql.DB
	role, orgID string
}

// beginTenant is BEGIN plus entering the tenant.
const beginTenant = "BEGIN; SELECT set_config('role', $1, true), set_config('app.current_org_id', $2, true)"

// BeginTx implements gorm.ConnPoolBeginner.
func (b tenantBeginner) BeginTx(ctx context.Context, _ *sql.TxOptions) (gorm.ConnPool, error) {
	conn, err := b.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, beginTenant, pgx.QueryExecModeSimpleProtocol, b.role, b.orgID); err != nil {
		discard(conn)
		return nil, err
	}
	return &tenantTx{Conn: conn, ctx: ctx}, nil
}

// tenantTx is a transaction on a connection taken from the pool; GORM runs
// the statements of fn on it and commits or rolls back through it.
type tenantTx struct {
	*sql.Conn
	ctx  context.Context
	done bool
}

// Commit implements gorm.TxCommitter.
func (t *tenantTx) Commit() error { return t.end("COMMIT") }

// Rollback implements gorm.TxCommitter.
func (t *tenantTx) Rollback() error { return t.end("ROLLBACK") }

func (t *tenantTx) end(stmt string) error {
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
