package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"example.com/saas/models"
)

// effect applies one event inside its transaction.
type effect func(ctx context.Context, tx *gorm.DB) error

// eventEffect decodes ev's data and returns what applying it does; nil for
// types the app acknowledges and ignores. Clerk adds event types over time,
// and an error for them would make Svix retry forever.
//
// organizationInvitation.* are ignored: an accepted invitation also sends
// organizationMembership.created, which is what grants access.
func eventEffect(ev webhookEvent) (effect, error) {
	if endsSession(ev.Type) {
		return decode(ev, func(d sessionData, _ time.Time) effect {
			return func(ctx context.Context, tx *gorm.DB) error {
				status := d.Status
				if status == "" {
					status = strings.TrimPrefix(ev.Type, "session.")
				}
				return models.RevokeSession(ctx, tx, d.ID, d.UserID, status)
			}
		})
	}
	switch ev.Type {
	case "user.created", "user.updated":
		return decode(ev, userEffect)
	case "user.deleted":
		return decode(ev, func(d deletedData, at time.Time) effect {
			return func(ctx context.Context, tx *gorm.DB) error {
				_, err := models.DeleteUser(ctx, tx, d.ID, at)
				return err
			}
		})
	case "organization.created", "organization.updated":
		return decode(ev, orgEffect)
	case "organization.deleted":
		return decode(ev, func(d deletedData, at time.Time) effect {
			return func(ctx context.Context, tx *gorm.DB) error {
				_, err := models.DeleteOrganization(ctx, tx, d.ID, at)
				return err
			}
		})
	case "organizationMembership.created", "organizationMembership.updated":
		return decode(ev, membershipEffect)
	case "organizationMembership.deleted":
		return decode(ev, func(d membershipRef, _ time.Time) effect {
			return func(ctx context.Context, tx *gorm.DB) error {
				_, err := models.DeleteMembership(ctx, tx, d.ID, d.Organization.ID, d.PublicUserData.UserID)
				return err
			}
		})
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
func endedSession(ev webhookEvent) string {
	if !endsSession(ev.Type) {
		return ""
	}
	var d sessionData
	if json.Unmarshal(ev.Data, &d) != nil {
		return ""
	}
	return d.ID
}

// identified is an event's data: every handled type has an id.
type identified interface{ id() string }

// decode parses ev.Data into D, refuses data without an id, and builds the
// effect with the time the event describes (its data's updated_at, else the
// event's timestamp, else now).
func decode[D identified](ev webhookEvent, build func(d D, at time.Time) effect) (effect, error) {
	var d D
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return nil, fmt.Errorf("%s data is malformed", ev.Type)
	}
	if d.id() == "" {
		return nil, fmt.Errorf("%s data has no id", ev.Type)
	}
	if c, ok := any(d).(interface{ check() error }); ok {
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("%s: %w", ev.Type, err)
		}
	}
	at := ev.Timestamp.Time()
	if u, ok := any(d).(interface{ updatedAt() time.Time }); ok && !u.updatedAt().IsZero() {
		at = u.updatedAt()
	}
	if at.IsZero() {
		at = time.Now().UTC()
	}
	return build(d, at), nil
}

type deletedData struct {
	ID string `json:"id"`
}

func (d deletedData) id() string { return d.ID }

type userData struct {
	ID                    string                `json:"id"`
	PrimaryEmailAddressID *string               `json:"primary_email_address_id"`
	EmailAddresses        []models.EmailAddress `json:"email_addresses"`
	FirstName             *string               `json:"first_name"`
	LastName              *string               `json:"last_name"`
	ImageURL              *string               `json:"image_url"`
	ProfileImageURL       *string               `json:"profile_image_url"`
	UpdatedAt             epoch                 `json:"updated_at"`
}

func (d userData) id() string           { return d.ID }
func (d userData) updatedAt() time.Time { return d.UpdatedAt.Time() }

func userEffect(d userData, at time.Time) effect {
	u := models.User{
		ID:        d.ID,
		Email:     models.PrimaryEmail(str(d.PrimaryEmailAddressID), d.EmailAddresses),
		FirstName: str(d.FirstName),
		LastName:  str(d.LastName),
		ImageURL:  firstNonEmpty(str(d.ImageURL), str(d.ProfileImageURL)),
	}
	return func(ctx context.Context, tx *gorm.DB) error {
		_, err := models.UpsertUser(ctx, tx, u, at)
		return err
	}
}

type orgData struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Slug      *string `json:"slug"`
	ImageURL  *string `json:"image_url"`
	LogoURL   *string `json:"logo_url"`
	UpdatedAt epoch   `json:"updated_at"`
}

func (d orgData) id() string           { return d.ID }
func (d orgData) updatedAt() time.Time { return d.UpdatedAt.Time() }

func (d orgData) model() models.Organization {
	return models.Organization{ID: d.ID, Name: d.Name, Slug: models.NullableText(str(d.Slug)),
		ImageURL: firstNonEmpty(str(d.ImageURL), str(d.LogoURL))}
}

func orgEffect(d orgData, at time.Time) effect {
	return func(ctx context.Context, tx *gorm.DB) error {
		_, err := models.UpsertOrganization(ctx, tx, d.model(), at)
		return err
	}
}

type membershipData struct {
	ID             string     `json:"id"`
	Role           string     `json:"role"`
	Permissions    []string   `json:"permissions"`
	Organization   orgData    `json:"organization"`
	PublicUserData publicUser `json:"public_user_data"`
	UpdatedAt      epoch      `json:"updated_at"`
}

type publicUser struct {
	UserID          string  `json:"user_id"`
	FirstName       *string `json:"first_name"`
	LastName        *string `json:"last_name"`
	ImageURL        *string `json:"image_url"`
	ProfileImageURL *string `json:"profile_image_url"`
	Identifier      string  `json:"identifier"`
}

func (d membershipData) id() string           { return d.ID }
func (d membershipData) updatedAt() time.Time { return d.UpdatedAt.Time() }

func (d membershipData) check() error {
	if d.Organization.ID == "" || d.PublicUserData.UserID == "" {
		return errors.New("membership data lacks organization.id or public_user_data.user_id")
	}
	return nil
}

func membershipEffect(d membershipData, at time.Time) effect {
	m := models.Membership{ID: d.ID, OrganizationID: d.Organization.ID, UserID: d.PublicUserData.UserID,
		Role: d.Role, Permissions: d.Permissions}
	u := models.User{
		ID:        d.PublicUserData.UserID,
		Email:     d.PublicUserData.Identifier,
		FirstName: str(d.PublicUserData.FirstName),
		LastName:  str(d.PublicUserData.LastName),
		ImageURL:  firstNonEmpty(str(d.PublicUserData.ImageURL), str(d.PublicUserData.ProfileImageURL)),
	}
	return func(ctx context.Context, tx *gorm.DB) error {
		_, err := models.ApplyMembership(ctx, tx, m, d.Organization.model(), u, at)
		return err
	}
}

// membershipRef names a deleted membership: by id, with its two ends when sent.
type membershipRef struct {
	ID           string `json:"id"`
	Organization struct {
		ID string `json:"id"`
	} `json:"organization"`
	PublicUserData struct {
		UserID string `json:"user_id"`
	} `json:"public_user_data"`
}

func (d membershipRef) id() string { return d.ID }

type sessionData struct {
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	Status string `json:"status"`
}

func (d sessionData) id() string { return d.ID }

// epoch is a Clerk timestamp: a JSON number in milliseconds or seconds, or null.
type epoch int64

func (e *epoch) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*e = 0
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*e = epoch(f)
	return nil
}

// Time converts e, detecting seconds or milliseconds.
func (e epoch) Time() time.Time { return models.ClerkTime(int64(e)) }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
