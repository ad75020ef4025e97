package clerksync

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"example.com/saas/models"
)

// The shapes of Clerk's user, organization, membership and session
// objects, as webhooks carry them in data and the Backend API answers them
// (clerk-sdk-go's types are encoded back to JSON and read through these,
// fromSDK), and their mapping to the local rows: written once, for every
// way Clerk's data arrives. They accept the older shapes too: seconds or
// milliseconds, profile_image_url and logo_url, no email addresses.

// object is the data of a Clerk object: every handled type has an id.
type object interface{ id() string }

// fromSDK reads a clerk-sdk-go object as the shape D.
func fromSDK[D object](v any) (D, error) {
	var d D
	raw, err := json.Marshal(v)
	if err != nil {
		return d, fmt.Errorf("encode %T: %w", v, err)
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, fmt.Errorf("decode %T: %w", v, err)
	}
	return d, nil
}

// complete refuses an object without an id, or one that fails its own
// check (a membership without its two ends).
func complete(d object) error {
	if d.id() == "" {
		return errors.New("data has no id")
	}
	if c, ok := d.(interface{ check() error }); ok {
		if err := c.check(); err != nil {
			return fmt.Errorf("data: %w", err)
		}
	}
	return nil
}

// changedAt is the time an object describes: its updated_at, else the
// event's timestamp, else now.
func changedAt(d object, eventTime time.Time) time.Time {
	if u, ok := d.(interface{ updatedAt() time.Time }); ok && !u.updatedAt().IsZero() {
		return u.updatedAt()
	}
	if !eventTime.IsZero() {
		return eventTime
	}
	return time.Now().UTC()
}

// identity is what every object has: its id, and when it last changed (a
// deleted object's data carries the id alone).
type identity struct {
	ID        string `json:"id"`
	UpdatedAt epoch  `json:"updated_at"`
}

func (d identity) id() string           { return d.ID }
func (d identity) updatedAt() time.Time { return d.UpdatedAt.Time() }

type userData struct {
	identity
	PrimaryEmailAddressID *string               `json:"primary_email_address_id"`
	EmailAddresses        []models.EmailAddress `json:"email_addresses"`
	FirstName             *string               `json:"first_name"`
	LastName              *string               `json:"last_name"`
	ImageURL              *string               `json:"image_url"`
	ProfileImageURL       *string               `json:"profile_image_url"`
	// EnterpriseAccounts is nil when the source has no such key (clerk-sdk-go
	// v2.4.2's User, in a reconcile), which keeps the stored connection.
	EnterpriseAccounts *[]enterpriseAccount `json:"enterprise_accounts"`
}

// enterpriseAccount is what the app reads of a user's SSO link: whether it is
// active and its connection's display name.
type enterpriseAccount struct {
	Active               bool `json:"active"`
	EnterpriseConnection *struct {
		Name string `json:"name"`
	} `json:"enterprise_connection"`
}

func (d userData) model() models.User {
	return models.User{
		ID:            d.ID,
		Email:         models.PrimaryEmail(str(d.PrimaryEmailAddressID), d.EmailAddresses),
		FirstName:     str(d.FirstName),
		LastName:      str(d.LastName),
		ImageURL:      firstNonEmpty(str(d.ImageURL), str(d.ProfileImageURL)),
		SSOConnection: d.ssoConnection(),
	}
}

// ssoConnection is the name of the first active enterprise account's
// connection, "" without one, nil when the data does not list them.
func (d userData) ssoConnection() *string {
	if d.EnterpriseAccounts == nil {
		return nil
	}
	name := ""
	for _, a := range *d.EnterpriseAccounts {
		if a.Active && a.EnterpriseConnection != nil && a.EnterpriseConnection.Name != "" {
			name = a.EnterpriseConnection.Name
			break
		}
	}
	return &name
}

type orgData struct {
	identity
	Name     string  `json:"name"`
	Slug     *string `json:"slug"`
	ImageURL *string `json:"image_url"`
	LogoURL  *string `json:"logo_url"`
}

func (d orgData) model() models.Organization {
	return models.Organization{ID: d.ID, Name: d.Name, Slug: models.NullableText(str(d.Slug)),
		ImageURL: firstNonEmpty(str(d.ImageURL), str(d.LogoURL))}
}

type membershipData struct {
	identity
	Role           string     `json:"role"`
	Permissions    []string   `json:"permissions"`
	Organization   orgData    `json:"organization"`
	PublicUserData publicUser `json:"public_user_data"`
}

type publicUser struct {
	UserID          string  `json:"user_id"`
	FirstName       *string `json:"first_name"`
	LastName        *string `json:"last_name"`
	ImageURL        *string `json:"image_url"`
	ProfileImageURL *string `json:"profile_image_url"`
	Identifier      string  `json:"identifier"`
}

func (d membershipData) check() error {
	if d.Organization.ID == "" || d.PublicUserData.UserID == "" {
		return errors.New("membership data lacks organization.id or public_user_data.user_id")
	}
	return nil
}

// models are the membership and the minimal user row its public user data
// makes when the user's own event has not arrived yet.
func (d membershipData) models() (models.Membership, models.User) {
	m := models.Membership{ID: d.ID, OrganizationID: d.Organization.ID, UserID: d.PublicUserData.UserID,
		Role: d.Role, Permissions: d.Permissions}
	u := models.User{
		ID:        d.PublicUserData.UserID,
		Email:     d.PublicUserData.Identifier,
		FirstName: str(d.PublicUserData.FirstName),
		LastName:  str(d.PublicUserData.LastName),
		ImageURL:  firstNonEmpty(str(d.PublicUserData.ImageURL), str(d.PublicUserData.ProfileImageURL)),
	}
	return m, u
}

// membershipRef names a deleted membership: by id, with its two ends when sent.
type membershipRef struct {
	identity
	Organization struct {
		ID string `json:"id"`
	} `json:"organization"`
	PublicUserData struct {
		UserID string `json:"user_id"`
	} `json:"public_user_data"`
}

// domainData is Clerk's organization_domain: verified when its
// verification's status says so.
type domainData struct {
	identity
	OrganizationID string `json:"organization_id"`
	Name           string `json:"name"`
	EnrollmentMode string `json:"enrollment_mode"`
	Verification   *struct {
		Status string `json:"status"`
	} `json:"verification"`
}

func (d domainData) check() error {
	if d.OrganizationID == "" || d.Name == "" {
		return errors.New("organization domain data lacks organization_id or name")
	}
	return nil
}

func (d domainData) model() models.Domain {
	return models.Domain{ID: d.ID, OrganizationID: d.OrganizationID, Name: d.Name, EnrollmentMode: d.EnrollmentMode,
		Verified: d.Verification != nil && d.Verification.Status == "verified"}
}

type sessionData struct {
	identity
	UserID string `json:"user_id"`
	Status string `json:"status"`
}

// epoch is a Clerk timestamp: a JSON number in milliseconds or seconds, or null.
type epoch int64

func (e *epoch) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*e = 0
		return nil
	}
	// b is one JSON value, already checked by the decoder: a number here
	// parses as a float, anything else (a string, an object) does not.
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("timestamp %.20q is not a number", b)
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
