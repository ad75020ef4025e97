package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// RevokedSession is a Clerk session reported ended, removed or revoked
// (webhook session.*): the auth middleware refuses it on every instance even
// while its last token is still valid.
type RevokedSession struct {
	SessionID string `gorm:"primaryKey"`
	UserID    string
	Status    string
	RevokedAt time.Time
}

// RevokeSession records that Clerk ended sessionID; recording it again keeps
// the first record.
func RevokeSession(ctx context.Context, db *gorm.DB, sessionID, userID, status string) error {
	err := db.WithContext(ctx).Exec(`
INSERT INTO revoked_sessions (session_id, user_id, status) VALUES (?, ?, ?)
ON CONFLICT (session_id) DO NOTHING`, sessionID, userID, status).Error
	if err == nil {
		// Delivered on commit to every instance's Revocations.
		err = db.WithContext(ctx).Exec(`SELECT pg_notify(?, ?)`, RevokedChannel, sessionID).Error
	}
	if err != nil {
		return fmt.Errorf("revoke session %s: %w", sessionID, err)
	}
	return nil
}

// IsSessionRevoked reports whether Clerk ended sessionID.
func IsSessionRevoked(ctx context.Context, db *gorm.DB, sessionID string) (bool, error) {
	return readValue(ctx, db, func() (bool, error) { return isSessionRevoked(ctx, db, sessionID) })
}

func isSessionRevoked(ctx context.Context, db *gorm.DB, sessionID string) (bool, error) {
	var revoked bool
	err := db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM revoked_sessions WHERE session_id = ?)`, sessionID).Scan(&revoked).Error
	if err != nil {
		return false, fmt.Errorf("check session %s: %w", sessionID, err)
	}
	return revoked, nil
}
