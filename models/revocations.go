package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// RevokedChannel is the Postgres channel RevokeSession notifies, on commit,
// with the session id.
const RevokedChannel = "app_session_revoked"

// Revocations answers IsSessionRevoked from memory on every instance: it
// LISTENs on RevokedChannel, then loads revoked_sessions, then applies each
// notification. While it is not listening (start-up, a lost connection) it
// asks the database, so a revocation is never missed, only answered by a
// query. Deliberately unscoped: webhook sync.
type Revocations struct {
	db   *gorm.DB
	log  *slog.Logger
	live atomic.Bool
	// Heartbeat is how often a quiet listening connection is probed with a
	// notification of its own, so a path that stopped delivering is noticed.
	Heartbeat time.Duration

	mu  sync.RWMutex
	ids map[string]struct{}
}

// NewRevocations returns a Revocations on db; call Run to start listening.
func NewRevocations(db *gorm.DB, log *slog.Logger) *Revocations {
	return &Revocations{db: db, log: log, ids: map[string]struct{}{}, Heartbeat: 30 * time.Second}
}

// IsRevoked reports whether Clerk ended sessionID.
func (r *Revocations) IsRevoked(ctx context.Context, sessionID string) (bool, error) {
	if !r.live.Load() {
		return IsSessionRevoked(ctx, r.db, sessionID)
	}
	r.mu.RLock()
	_, ok := r.ids[sessionID]
	r.mu.RUnlock()
	return ok, nil
}

// Listening reports whether answers come from memory (the listener is up).
func (r *Revocations) Listening() bool { return r.live.Load() }

// Run listens until ctx ends, reconnecting after a second when the
// connection fails.
func (r *Revocations) Run(ctx context.Context) {
	for ctx.Err() == nil {
		err := r.listen(ctx)
		r.live.Store(false)
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("session revocations: listening stopped; checking the database until it resumes", slog.Any("error", err))
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (r *Revocations) listen(ctx context.Context) error {
	sqlDB, err := r.db.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The connection stays in LISTEN mode: it never goes back to the pool.
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("not a pgx connection")
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+RevokedChannel); err != nil {
			return errors.Join(err, driver.ErrBadConn)
		}
		rows, err := pc.Query(ctx, "SELECT session_id FROM revoked_sessions")
		if err != nil {
			return errors.Join(err, driver.ErrBadConn)
		}
		ids := map[string]struct{}{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return errors.Join(err, driver.ErrBadConn)
			}
			ids[id] = struct{}{}
		}
		if err := rows.Err(); err != nil {
			return errors.Join(err, driver.ErrBadConn)
		}
		r.mu.Lock()
		r.ids = ids
		r.mu.Unlock()
		// Prove notifications arrive before trusting memory: behind a
		// transaction-pooling PgBouncer, LISTEN succeeds but its server
		// connection goes back to the pool and notifications are lost.
		if err := r.probe(ctx, pc); err != nil {
			return err
		}
		r.live.Store(true)
		for {
			wctx, cancel := context.WithTimeout(ctx, r.Heartbeat)
			n, err := pc.WaitForNotification(wctx)
			cancel()
			if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				// Quiet: prove the path still delivers.
				if err = r.probe(ctx, pc); err == nil {
					continue
				}
			}
			if err != nil {
				return errors.Join(fmt.Errorf("wait for notification: %w", err), driver.ErrBadConn)
			}
			r.remember(n.Payload)
		}
	})
}

// probePrefix marks the notifications Revocations sends itself.
const probePrefix = "probe:"

// probe notifies through the pool (another connection) and waits for that
// notification on the listening connection, applying any revocation that
// arrives meanwhile.
func (r *Revocations) probe(ctx context.Context, pc *pgx.Conn) error {
	payload := fmt.Sprintf("%s%d", probePrefix, time.Now().UnixNano())
	if err := r.db.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", RevokedChannel, payload).Error; err != nil {
		return fmt.Errorf("send probe notification: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		n, err := pc.WaitForNotification(wctx)
		if err != nil {
			return errors.Join(fmt.Errorf("notifications do not arrive (a transaction-pooling proxy?): %w", err), driver.ErrBadConn)
		}
		if n.Payload == payload {
			return nil
		}
		r.remember(n.Payload)
	}
}

func (r *Revocations) remember(sessionID string) {
	if strings.HasPrefix(sessionID, probePrefix) {
		return
	}
	r.mu.Lock()
	r.ids[sessionID] = struct{}{}
	r.mu.Unlock()
}
