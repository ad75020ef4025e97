package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// Prelude, passed as the first argument of a statement on a pool opened by
// OpenLazy, goes to Postgres with the statement in one pipeline, one round
// trip: the two run in one implicit transaction, the prelude first, so
// what it sets with set_config(…, true) holds for that statement alone and
// is gone before the connection serves anything else. If the prelude
// fails, Postgres skips the statement.
//
// On a pool opened otherwise the statement fails (the prelude is a
// pgx.QueryRewriter that refuses): a statement must never run without its
// prelude.
type Prelude struct {
	SQL  string
	Args []any
}

// RewriteQuery implements pgx.QueryRewriter for a pool that does not
// pipeline.
func (p *Prelude) RewriteQuery(context.Context, *pgx.Conn, string, []any) (string, []any, error) {
	return "", nil, errors.New("database.Prelude needs a pool opened by database.OpenLazy")
}

// pipelining is the pool's connector: its connections send a statement
// with its Prelude in one pipeline.
type pipelining struct{ driver.Connector }

func (p pipelining) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := p.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return pipeConn{conn.(*stdlib.Conn)}, nil
}

// pipeConn is pgx's database/sql connection, which does everything but
// statements with a Prelude.
type pipeConn struct{ *stdlib.Conn }

// preludeOf splits a Prelude off the front of args.
func preludeOf(args []driver.NamedValue) (*Prelude, []any) {
	if len(args) == 0 {
		return nil, nil
	}
	p, ok := args[0].Value.(*Prelude)
	if !ok {
		return nil, nil
	}
	rest := make([]any, len(args)-1)
	for i, a := range args[1:] {
		rest[i] = a.Value
	}
	return p, rest
}

// send queues the prelude and the statement as one batch (one implicit
// transaction, up to the batch's Sync) and reads the prelude's result.
func (c pipeConn) send(ctx context.Context, p *Prelude, query string, args []any) (pgx.BatchResults, error) {
	if c.Conn.Conn().IsClosed() {
		return nil, driver.ErrBadConn
	}
	b := &pgx.Batch{}
	b.Queue(p.SQL, p.Args...)
	b.Queue(query, args...)
	br := c.Conn.Conn().SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		if pgconn.SafeToRetry(err) {
			return nil, driver.ErrBadConn
		}
		return nil, fmt.Errorf("prelude: %w", err)
	}
	return br, nil
}

// ExecContext implements driver.ExecerContext.
func (c pipeConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	p, rest := preludeOf(args)
	if p == nil {
		return c.Conn.ExecContext(ctx, query, args)
	}
	br, err := c.send(ctx, p, query, rest)
	if err != nil {
		return nil, err
	}
	tag, err := br.Exec()
	if closeErr := br.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, err
	}
	return driver.RowsAffected(tag.RowsAffected()), nil
}

// QueryContext implements driver.QueryerContext.
func (c pipeConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	p, rest := preludeOf(args)
	if p == nil {
		return c.Conn.QueryContext(ctx, query, args)
	}
	br, err := c.send(ctx, p, query, rest)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	// The first row is read now, as pgx's driver does, so a failed
	// statement fails here and the columns are known.
	more := rows.Next()
	if err := rows.Err(); err != nil {
		rows.Close()
		br.Close()
		return nil, err
	}
	return &pipedRows{br: br, rows: rows, m: c.Conn.Conn().TypeMap(), pending: more}, nil
}

// pipedRows are the rows of a statement sent with a Prelude, in the values
// pgx's own driver gives database/sql.
type pipedRows struct {
	br      pgx.BatchResults
	rows    pgx.Rows
	m       *pgtype.Map
	values  []func([]byte) (driver.Value, error)
	pending bool // the first row, read by QueryContext
	columns []string
}

func (r *pipedRows) Columns() []string {
	if r.columns == nil {
		fields := r.rows.FieldDescriptions()
		r.columns = make([]string, len(fields))
		for i, fd := range fields {
			r.columns[i] = fd.Name
		}
	}
	return r.columns
}

func (r *pipedRows) Close() error {
	r.rows.Close()
	err := r.rows.Err()
	if closeErr := r.br.Close(); err == nil {
		err = closeErr
	}
	return err
}

func (r *pipedRows) Next(dest []driver.Value) error {
	more := r.pending
	if r.pending {
		r.pending = false
	} else {
		more = r.rows.Next()
	}
	if !more {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return io.EOF
	}
	if r.values == nil {
		for _, fd := range r.rows.FieldDescriptions() {
			r.values = append(r.values, valueOf(r.m, fd))
		}
	}
	for i, raw := range r.rows.RawValues() {
		if raw == nil {
			dest[i] = nil
			continue
		}
		v, err := r.values[i](raw)
		if err != nil {
			return fmt.Errorf("convert column %s: %w", r.Columns()[i], err)
		}
		dest[i] = v
	}
	return nil
}

// valueOf converts a column's wire value to the driver.Value pgx's
// database/sql driver gives for its type: Go's own types for booleans,
// numbers, bytes, JSON and times, and for every other type its text form
// (a uuid as "xxxxxxxx-…", an array as "{…}"), as pgx's driver receives
// them. A batch may get any type in binary; that form is decoded and
// written out as text.
func valueOf(m *pgtype.Map, fd pgconn.FieldDescription) func([]byte) (driver.Value, error) {
	oid, format := fd.DataTypeOID, fd.Format
	switch oid {
	case pgtype.BoolOID:
		return scanAs[bool](m, oid, format, func(v bool) (driver.Value, error) { return v, nil })
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
		return scanAs[int64](m, oid, format, func(v int64) (driver.Value, error) { return v, nil })
	case pgtype.Float4OID, pgtype.Float8OID:
		return scanAs[float64](m, oid, format, func(v float64) (driver.Value, error) { return v, nil })
	case pgtype.ByteaOID, pgtype.JSONOID, pgtype.JSONBOID, pgtype.XMLOID:
		return scanAs[[]byte](m, oid, format, func(v []byte) (driver.Value, error) { return v, nil })
	case pgtype.DateOID:
		return scanAs[pgtype.Date](m, oid, format, pgtype.Date.Value)
	case pgtype.TimestampOID:
		return scanAs[pgtype.Timestamp](m, oid, format, pgtype.Timestamp.Value)
	case pgtype.TimestamptzOID:
		return scanAs[pgtype.Timestamptz](m, oid, format, pgtype.Timestamptz.Value)
	case pgtype.CIDOID, pgtype.OIDOID, pgtype.XIDOID:
		return scanAs[pgtype.Uint32](m, oid, format, pgtype.Uint32.Value)
	}
	if format == pgtype.TextFormatCode {
		return func(src []byte) (driver.Value, error) { return string(src), nil }
	}
	t, ok := m.TypeForOID(oid)
	if !ok {
		return func([]byte) (driver.Value, error) { return nil, fmt.Errorf("binary value of unknown type %d", oid) }
	}
	return func(src []byte) (driver.Value, error) {
		v, err := t.Codec.DecodeValue(m, oid, format, src)
		if err != nil {
			return nil, err
		}
		text, err := m.Encode(oid, pgtype.TextFormatCode, v, nil)
		return string(text), err
	}
}

// scanAs scans a column into a T with pgx's plan for its type and format
// and hands the T to value.
func scanAs[T any](m *pgtype.Map, oid uint32, format int16, value func(T) (driver.Value, error)) func([]byte) (driver.Value, error) {
	var d T
	plan := m.PlanScan(oid, format, &d)
	return func(src []byte) (driver.Value, error) {
		if err := plan.Scan(src, &d); err != nil {
			return nil, err
		}
		return value(d)
	}
}
