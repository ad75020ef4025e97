// Package live keeps in-memory copies of some tables current on every
// instance, from Postgres LISTEN/NOTIFY: the directory (who may enter which
// organization, each page's top bar) and the revoked sessions. A copy
// answers from memory only while its notifications are proven to arrive;
// otherwise it asks the database, so it can be slower, never wrong.
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// Follower is an in-memory copy of some tables, kept current by the
// notifications of one Postgres channel. It may answer from memory only
// between SetLive(true) and SetLive(false); otherwise it asks the database.
type Follower interface {
	// Channel is the channel whose notifications change the copy.
	Channel() string
	// Reload runs on the listening connection after LISTEN and before the
	// follower goes live, so no change falls in between.
	Reload(ctx context.Context, conn *pgx.Conn) error
	// Notified applies one notification's payload.
	Notified(payload string)
	// SetLive says whether notifications are arriving.
	SetLive(live bool)
}

// Listener keeps a connection of its own LISTENing on its followers'
// channels and dispatches the notifications, so every instance's copies
// follow commits made anywhere. Its connection is not the pool's, so
// DB_MAX_CONNS counts only connections requests can use. Behind a
// transaction-pooling proxy, where LISTEN succeeds but notifications are
// lost, its probe never arrives and the followers stay on the database.
//
// It is not github.com/jackc/pgxlisten, which was considered: that listener
// says nothing when its connection is lost or made again, sends no
// heartbeat, and only logs a failed backlog load before listening on; the
// copies here must stop answering from memory the moment a notification
// may be missed, so this one tells them (SetLive) and proves delivery
// (probe) itself.
type Listener struct {
	db        *gorm.DB // the pool, for the probe's notification
	connect   func(context.Context) (*pgx.Conn, error)
	log       *slog.Logger
	followers []Follower
	// Heartbeat is how often a quiet listening connection is probed with a
	// notification of its own, so a path that stopped delivering is noticed.
	Heartbeat time.Duration
}

// NewListener returns a Listener for followers: connect opens its
// listening connection (pgx.Connect with the pool's URL), db is the pool.
// Call Run to start it.
func NewListener(db *gorm.DB, connect func(context.Context) (*pgx.Conn, error), log *slog.Logger, followers ...Follower) *Listener {
	return &Listener{db: db, connect: connect, log: log, followers: followers, Heartbeat: 30 * time.Second}
}

// Run listens until ctx ends, reconnecting after a second when the
// connection fails.
func (l *Listener) Run(ctx context.Context) {
	for ctx.Err() == nil {
		err := l.listen(ctx)
		l.setLive(false)
		if ctx.Err() != nil {
			return
		}
		l.log.Warn("notifications: listening stopped; reading the database until it resumes", slog.Any("error", err))
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (l *Listener) setLive(live bool) {
	for _, f := range l.followers {
		f.SetLive(live)
	}
}

func (l *Listener) listen(ctx context.Context) error {
	if len(l.followers) == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	conn, err := l.connect(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return l.follow(ctx, conn)
}

// follow runs on the listening connection until it fails.
func (l *Listener) follow(ctx context.Context, pc *pgx.Conn) error {
	for _, f := range l.followers {
		if _, err := pc.Exec(ctx, "LISTEN "+pgx.Identifier{f.Channel()}.Sanitize()); err != nil {
			return fmt.Errorf("listen %s: %w", f.Channel(), err)
		}
	}
	for _, f := range l.followers {
		if err := f.Reload(ctx, pc); err != nil {
			return fmt.Errorf("reload %s: %w", f.Channel(), err)
		}
	}
	// Prove notifications arrive before trusting memory.
	if err := l.probe(ctx, pc); err != nil {
		return err
	}
	l.setLive(true)
	for {
		wctx, cancel := context.WithTimeout(ctx, l.Heartbeat)
		n, err := pc.WaitForNotification(wctx)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			// Quiet: prove the path still delivers.
			if err = l.probe(ctx, pc); err == nil {
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		l.dispatch(n)
	}
}

// probePrefix marks the notifications the Listener sends itself.
const probePrefix = "probe:"

// probe notifies through the pool (another connection) and waits for that
// notification on the listening connection, dispatching any that arrive
// meanwhile.
func (l *Listener) probe(ctx context.Context, pc *pgx.Conn) error {
	payload := fmt.Sprintf("%s%d", probePrefix, time.Now().UnixNano())
	if err := l.db.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", l.followers[0].Channel(), payload).Error; err != nil {
		return fmt.Errorf("send probe notification: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		n, err := pc.WaitForNotification(wctx)
		if err != nil {
			return fmt.Errorf("notifications do not arrive (a transaction-pooling proxy?): %w", err)
		}
		if n.Payload == payload {
			return nil
		}
		l.dispatch(n)
	}
}

func (l *Listener) dispatch(n *pgconn.Notification) {
	if strings.HasPrefix(n.Payload, probePrefix) {
		return
	}
	for _, f := range l.followers {
		if f.Channel() == n.Channel {
			f.Notified(n.Payload)
		}
	}
}
