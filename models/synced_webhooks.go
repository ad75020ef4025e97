package models

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// WebhookEvent is a Svix message id already applied.
type WebhookEvent struct {
	SvixID     string `gorm:"primaryKey"`
	Type       string
	ReceivedAt time.Time
}

// recordEvent follows BEGIN in a delivery's transaction.
const recordEvent = "INSERT INTO webhook_events (svix_id, type) VALUES ($1, $2) ON CONFLICT (svix_id) DO NOTHING"

// ApplyWebhookEvent records the delivery e and, when it is new, runs apply,
// in one transaction; fresh is false for a duplicate, which writes nothing
// else.
// Recording the id goes with BEGIN in one round trip: a duplicate costs two
// (that one and COMMIT), a new event one more per statement of apply. A
// second delivery of an id that is being applied waits for the first's
// transaction (the primary key), then is a duplicate, or is applied if the
// first rolled back.
func ApplyWebhookEvent(ctx context.Context, db *gorm.DB, e WebhookEvent, apply func(tx *gorm.DB) error) (fresh bool, err error) {
	b := &beginner{first: recordEvent, args: []any{e.SvixID, e.Type},
		began: func(res sql.Result) {
			n, err := res.RowsAffected()
			fresh = err == nil && n == 1
		}}
	err = b.transaction(ctx, db, func(tx *gorm.DB) error {
		if !fresh {
			return nil
		}
		return apply(tx)
	})
	if err != nil {
		return false, fmt.Errorf("apply webhook event %s: %w", e.SvixID, err)
	}
	return fresh, nil
}

// upsertOnceSQL is the statement of upsertOnce for the upsert statement of
// one row (upsert, given the row's source; values, the row as a VALUES list
// of GORM's ? placeholders, with the upsert's own after them): one
// statement records the delivery and writes the row only when the delivery
// was not recorded before. It is built once, with Postgres's $n
// placeholders.
func upsertOnceSQL(upsert func(rows string) string, values string) string {
	q := `
WITH first_delivery AS (
    INSERT INTO webhook_events (svix_id, type) VALUES (?, ?) ON CONFLICT (svix_id) DO NOTHING RETURNING 1
), applied AS (` + upsert("SELECT v.* FROM ("+values+") AS v, first_delivery") + `
)
SELECT EXISTS (SELECT FROM first_delivery), (SELECT * FROM applied)`
	var b strings.Builder
	n := 0
	for _, part := range strings.Split(q, "?") {
		if n > 0 {
			fmt.Fprintf(&b, "$%d", n)
		}
		b.WriteString(part)
		n++
	}
	return b.String()
}

// upsertOnce runs query, an upsertOnceSQL statement, for the delivery e
// and the row's args. A concurrent delivery of the same id waits on the
// primary key for this one's outcome, as in ApplyWebhookEvent.
func upsertOnce(ctx context.Context, db *gorm.DB, e WebhookEvent, query string, args ...any) (fresh bool, res UpsertResult, err error) {
	var created *bool
	err = queryRow(ctx, db, query, append([]any{e.SvixID, e.Type}, args...), &fresh, &created)
	switch {
	case err != nil:
		return false, Unchanged, fmt.Errorf("record webhook event %s: %w", e.SvixID, err)
	case created == nil:
		return fresh, Unchanged, nil
	case *created:
		return fresh, Created, nil
	default:
		return fresh, Updated, nil
	}
}

// queryRow scans the one row of query, a constant statement with $n
// placeholders, on db's connection (its transaction, if it is in one), and
// traces it through db's logger as GORM does its own (slow statements and
// errors). It skips GORM's statement building, which copies the SQL byte by
// byte into a new Statement on every call: for the webhook's statement of
// about 1,200 bytes that was a tenth of a delivery's CPU.
func queryRow(ctx context.Context, db *gorm.DB, query string, args []any, dest ...any) error {
	begin := time.Now()
	err := db.Statement.ConnPool.QueryRowContext(ctx, query, args...).Scan(dest...)
	db.Logger.Trace(ctx, begin, func() (string, int64) { return query, 1 }, err)
	return err
}
