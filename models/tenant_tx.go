package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// tenantBeginner starts tenant transactions in one round trip: BEGIN and
// the two set_config calls go to Postgres as one simple-protocol message
// (pgx sends a statement without arguments that way, and the simple
// protocol allows several statements).
type tenantBeginner struct {
	*sql.DB
	beginStmt string
}

// BeginTx implements gorm.ConnPoolBeginner.
func (b tenantBeginner) BeginTx(ctx context.Context, _ *sql.TxOptions) (gorm.ConnPool, error) {
	conn, err := b.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, b.beginStmt); err != nil {
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

// beginTenantStmt is BEGIN plus entering the tenant; role is a validated
// identifier and orgID a Clerk id, both quoted as literals anyway.
func beginTenantStmt(role, orgID string) (string, error) {
	// Neither can hold these; refusing them keeps the quoting safe even on
	// a server with standard_conforming_strings off.
	if strings.ContainsAny(role, "\x00\\") || strings.ContainsAny(orgID, "\x00\\") {
		return "", errors.New("tenant transaction: NUL or backslash in role or organization id")
	}
	return fmt.Sprintf("BEGIN; SELECT set_config('role', %s, true), set_config('app.current_org_id', %s, true)",
		quoteLiteral(role), quoteLiteral(orgID)), nil
}

// quoteLiteral quotes s as a standard SQL string literal
// (standard_conforming_strings is on since PostgreSQL 9.1).
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
