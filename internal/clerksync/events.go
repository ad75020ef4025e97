package clerksync

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"gorm.io/gorm"

	"example.com/saas/models"
)

// event is Clerk's webhook envelope.
type event struct {
	Type      string          `json:"type"`
	Object    string          `json:"object"`
	Timestamp epoch           `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// effect is what applying one event does: apply writes it inside the
// delivery's transaction; once, when the write is one statement, records
// the delivery e and writes in that one statement instead (fresh false for
// a duplicate, which writes nothing).
type effect struct {
	apply func(ctx context.Context, tx *gorm.DB) error
	once  func(ctx context.Context, db *gorm.DB, e models.WebhookEvent) (fresh bool, err error)
}

// store writes one object as Clerk's version at, and says what changed.
type store[D object] func(ctx context.Context, tx *gorm.DB, d D, at time.Time) (models.UpsertResult, error)

// storeOnce is a store that also records the delivery e, in one statement.
type storeOnce[D object] func(ctx context.Context, db *gorm.DB, e models.WebhookEvent, d D, at time.Time) (bool, models.UpsertResult, error)

// effectOf decodes ev's data and returns what applying it does; nil for
// types the app acknowledges and ignores. Clerk adds event types over time,
// and an error for them would make Svix retry forever.
//
// organizationInvitation.* are ignored: an accepted invitation also sends
// organizationMembership.created, which is what grants access.
func effectOf(ev event) (*effect, error) {
	switch {
	case endsSession(ev.Type):
		return decode(ev, revokeSession(strings.TrimPrefix(ev.Type, "session.")))
	case ev.Type == "user.created", ev.Type == "user.updated":
		return decodeOnce(ev, storeUser, storeUserOnce)
	case ev.Type == "user.deleted":
		return decode(ev, deleteUser)
	case ev.Type == "organization.created", ev.Type == "organization.updated":
		return decodeOnce(ev, storeOrganization, storeOrganizationOnce)
	case ev.Type == "organization.deleted":
		return decode(ev, deleteOrganization)
	case ev.Type == "organizationMembership.created", ev.Type == "organizationMembership.updated":
		return decode(ev, storeMembership)
	case ev.Type == "organizationMembership.deleted":
		return decode(ev, deleteMembership)
	case ev.Type == "organizationDomain.created", ev.Type == "organizationDomain.updated":
		return decode(ev, storeDomain)
	case ev.Type == "organizationDomain.deleted":
		return decode(ev, deleteDomain)
	default:
		return nil, nil
	}
}

// endsSession reports whether an event of type typ ends a session: after
// it, the session is refused.
func endsSession(typ string) bool {
	return typ == "session.ended" || typ == "session.removed" || typ == "session.revoked"
}

// endedSession is the id of the session ev ends, or "".
func endedSession(ev event) string {
	if !endsSession(ev.Type) {
		return ""
	}
	var d sessionData
	if json.Unmarshal(ev.Data, &d) != nil {
		return ""
	}
	return d.ID
}

// decode parses ev.Data into D, refuses data without an id or that fails
// its check, and builds the effect of storing it at the time it describes.
func decode[D object](ev event, s store[D]) (*effect, error) {
	return decodeOnce(ev, s, nil)
}

// decodeOnce is decode for a store with a one-statement form o (nil for
// none).
func decodeOnce[D object](ev event, s store[D], o storeOnce[D]) (*effect, error) {
	var d D
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return nil, fmt.Errorf("%s data is malformed", ev.Type)
	}
	if err := complete(d); err != nil {
		return nil, fmt.Errorf("%s %w", ev.Type, err)
	}
	at := changedAt(d, ev.Timestamp.Time())
	e := &effect{apply: func(ctx context.Context, tx *gorm.DB) error {
		_, err := s(ctx, tx, d, at)
		return err
	}}
	if o != nil {
		e.once = func(ctx context.Context, db *gorm.DB, we models.WebhookEvent) (bool, error) {
			fresh, _, err := o(ctx, db, we, d, at)
			return fresh, err
		}
	}
	return e, nil
}

func storeUser(ctx context.Context, tx *gorm.DB, d userData, at time.Time) (models.UpsertResult, error) {
	return models.UpsertUser(ctx, tx, d.model(), at)
}

func storeUserOnce(ctx context.Context, db *gorm.DB, e models.WebhookEvent, d userData, at time.Time) (bool, models.UpsertResult, error) {
	return models.UpsertUserOnce(ctx, db, e, d.model(), at)
}

func deleteUser(ctx context.Context, tx *gorm.DB, d identity, at time.Time) (models.UpsertResult, error) {
	return models.DeleteUser(ctx, tx, d.ID, at)
}

func storeOrganization(ctx context.Context, tx *gorm.DB, d orgData, at time.Time) (models.UpsertResult, error) {
	return models.UpsertOrganization(ctx, tx, d.model(), at)
}

func storeOrganizationOnce(ctx context.Context, db *gorm.DB, e models.WebhookEvent, d orgData, at time.Time) (bool, models.UpsertResult, error) {
	return models.UpsertOrganizationOnce(ctx, db, e, d.model(), at)
}

func deleteOrganization(ctx context.Context, tx *gorm.DB, d identity, at time.Time) (models.UpsertResult, error) {
	return models.DeleteOrganization(ctx, tx, d.ID, at)
}

func storeMembership(ctx context.Context, tx *gorm.DB, d membershipData, at time.Time) (models.UpsertResult, error) {
	m, u := d.models()
	return models.ApplyMembership(ctx, tx, m, d.Organization.model(), u, at)
}

func deleteMembership(ctx context.Context, tx *gorm.DB, d membershipRef, _ time.Time) (models.UpsertResult, error) {
	_, err := models.DeleteMembership(ctx, tx, d.ID, d.Organization.ID, d.PublicUserData.UserID)
	return models.Unchanged, err
}

func storeDomain(ctx context.Context, tx *gorm.DB, d domainData, at time.Time) (models.UpsertResult, error) {
	return models.UpsertDomain(ctx, tx, d.model(), at)
}

func deleteDomain(ctx context.Context, tx *gorm.DB, d identity, at time.Time) (models.UpsertResult, error) {
	return models.DeleteDomain(ctx, tx, d.ID, at)
}

// revokeSession records the session as ended with the event's status
// (ended, removed, revoked) when its data names none.
func revokeSession(status string) store[sessionData] {
	return func(ctx context.Context, tx *gorm.DB, d sessionData, _ time.Time) (models.UpsertResult, error) {
		return models.Unchanged, models.RevokeSession(ctx, tx, d.ID, d.UserID, firstNonEmpty(d.Status, status))
	}
}

// SyncUser writes a Backend API user as a user.updated event carrying it
// would be written.
func SyncUser(ctx context.Context, tx *gorm.DB, u *clerk.User) (models.UpsertResult, error) {
	return syncSDK(ctx, tx, u, storeUser)
}

// SyncOrganization writes a Backend API organization as an
// organization.updated event carrying it would be written.
func SyncOrganization(ctx context.Context, tx *gorm.DB, o *clerk.Organization) (models.UpsertResult, error) {
	return syncSDK(ctx, tx, o, storeOrganization)
}

// SyncMembership writes a Backend API membership as an
// organizationMembership.updated event carrying it would be written: a
// membership removed here stays removed. Run it in a transaction.
func SyncMembership(ctx context.Context, tx *gorm.DB, m *clerk.OrganizationMembership) (models.UpsertResult, error) {
	return syncSDK(ctx, tx, m, storeMembership)
}

// SyncDomain writes a Backend API organization domain as an
// organizationDomain.updated event carrying it would be written.
func SyncDomain(ctx context.Context, tx *gorm.DB, d *clerk.OrganizationDomain) (models.UpsertResult, error) {
	return syncSDK(ctx, tx, d, storeDomain)
}

func syncSDK[D object](ctx context.Context, tx *gorm.DB, v any, s store[D]) (models.UpsertResult, error) {
	d, err := fromSDK[D](v)
	if err == nil {
		err = complete(d)
	}
	if err != nil {
		return models.Unchanged, fmt.Errorf("%T %w", v, err)
	}
	return s(ctx, tx, d, changedAt(d, time.Time{}))
}
