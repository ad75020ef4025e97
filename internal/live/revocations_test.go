package live_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"example.com/saas/internal/live"
	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// A session revoked on any instance (a webhook's transaction) is refused by
// every Revocations once the transaction commits, from memory, also after
// the listening connection was quiet through several heartbeats; before it
// listens, the database answers.
func TestRevocationsFollowNotifications(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := models.RevokeSession(ctx, db, "sess_before", "user_1", "revoked"); err != nil {
		t.Fatal(err)
	}
	r := live.NewRevocations(db)
	l := live.NewListener(db, connectTo(dbURL), slog.New(slog.DiscardHandler), r)
	l.Heartbeat = 50 * time.Millisecond
	if got, err := r.IsRevoked(ctx, "sess_before"); err != nil || !got {
		t.Fatalf("before listening: IsRevoked = %v, %v; want true from the database", got, err)
	}
	go l.Run(ctx)
	waitFor(t, r.Listening)
	if got, _ := r.IsRevoked(ctx, "sess_before"); !got {
		t.Fatal("listening: a session revoked before start is not refused")
	}
	time.Sleep(300 * time.Millisecond) // several heartbeats

	// Answers come from memory: a row written without a notification is
	// not seen (only RevokeSession writes this table in the app).
	if err := db.Exec(`INSERT INTO revoked_sessions (session_id, status) VALUES ('sess_silent', 'revoked')`).Error; err != nil {
		t.Fatal(err)
	}
	if got, _ := r.IsRevoked(ctx, "sess_silent"); got {
		t.Fatal("IsRevoked queried the database while listening")
	}

	err := db.Transaction(func(tx *gorm.DB) error {
		if err := models.RevokeSession(ctx, tx, "sess_after", "user_1", "ended"); err != nil {
			return err
		}
		if got, _ := r.IsRevoked(ctx, "sess_after"); got {
			t.Error("revocation visible before its transaction committed")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { got, _ := r.IsRevoked(ctx, "sess_after"); return got })
	if got, _ := r.IsRevoked(ctx, "sess_other"); got {
		t.Error("a session never revoked is refused")
	}
}

// connectTo is a Listener's connect func for dbURL.
func connectTo(dbURL string) func(context.Context) (*pgx.Conn, error) {
	return func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, dbURL) }
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
