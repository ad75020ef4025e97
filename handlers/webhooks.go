package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	svix "github.com/svix/svix-webhooks/go"
	"gorm.io/gorm"

	"example.com/saas/models"
)

// maxWebhookBody bounds a delivery; Clerk's events are a few kilobytes.
const maxWebhookBody = 1 << 20

// Outcomes of a delivery, as logged and counted.
const (
	outcomeApplied   = "applied"
	outcomeDuplicate = "duplicate"
	outcomeIgnored   = "ignored"
	outcomeFailed    = "failed"
	outcomeRejected  = "rejected"
)

// WebhookHandler verifies Clerk webhook deliveries (Svix signatures) and
// applies them to the synced tables, once each, in one transaction per event.
type WebhookHandler struct {
	db      *gorm.DB
	wh      *svix.Webhook
	log     *slog.Logger
	metrics *WebhookMetrics
}

// NewWebhookHandler returns the handler for POST /webhooks/clerk; secret is
// the endpoint's signing secret (whsec_…). metrics may be nil.
func NewWebhookHandler(db *gorm.DB, secret string, log *slog.Logger, metrics *WebhookMetrics) (*WebhookHandler, error) {
	if secret == "" {
		return nil, errors.New("webhook signing secret is empty")
	}
	wh, err := svix.NewWebhook(secret)
	if err != nil {
		return nil, errors.New("webhook signing secret is not valid base64 after whsec_ (value not shown)")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &WebhookHandler{db: db, wh: wh, log: log, metrics: metrics}, nil
}

// webhookEvent is Clerk's event envelope.
type webhookEvent struct {
	Type      string          `json:"type"`
	Object    string          `json:"object"`
	Timestamp epoch           `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// ServeHTTP answers 2xx only once the event's effect is committed (or the
// event is a duplicate or of a type the app ignores), 4xx for a delivery that
// can never succeed (nothing written), and 5xx when the database failed, so
// Svix retries.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if h == nil || h.wh == nil || h.db == nil {
		// Not built with NewWebhookHandler: refuse, so Svix keeps the events.
		writeJSONError(w, http.StatusServiceUnavailable, "unavailable", "Webhooks are not configured.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(w, r, "", http.StatusRequestEntityTooLarge, "body_too_large", "The request body is larger than 1 MiB.", err)
			return
		}
		h.reject(w, r, "", http.StatusBadRequest, "bad_body", "The request body could not be read.", err)
		return
	}
	// The signature is checked before anything in the body is trusted or parsed.
	if err := h.wh.Verify(body, r.Header); err != nil {
		h.reject(w, r, "", http.StatusUnauthorized, "bad_signature", "The webhook signature is missing, invalid or too old.", err)
		return
	}
	var ev webhookEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.Type == "" {
		h.reject(w, r, ev.Type, http.StatusBadRequest, "bad_payload", "The body is not a Clerk event.", err)
		return
	}
	h.metrics.observeLag(ev.Timestamp.Time())
	apply, err := eventEffect(ev)
	if err != nil {
		h.reject(w, r, ev.Type, http.StatusBadRequest, "bad_payload", err.Error(), err)
		return
	}
	if apply == nil {
		h.done(w, r, ev.Type, outcomeIgnored)
		return
	}

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	fresh := false
	err = h.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if fresh, err = models.RecordWebhookEvent(ctx, tx, svixID(r), ev.Type); err != nil || !fresh {
			return err
		}
		return apply(ctx, tx)
	})
	if err != nil {
		h.metrics.count(ev.Type, outcomeFailed)
		h.log.ErrorContext(ctx, "clerk webhook failed", slog.String("type", ev.Type), slog.String("svix_id", svixID(r)),
			slog.String("outcome", outcomeFailed), slog.Any("error", err))
		writeJSONError(w, http.StatusServiceUnavailable, "unavailable", "The event could not be stored; retry later.")
		return
	}
	if !fresh {
		h.done(w, r, ev.Type, outcomeDuplicate)
		return
	}
	h.done(w, r, ev.Type, outcomeApplied)
}

func (h *WebhookHandler) done(w http.ResponseWriter, r *http.Request, typ, outcome string) {
	h.metrics.count(typ, outcome)
	level := slog.LevelInfo
	if outcome != outcomeApplied {
		level = slog.LevelDebug
	}
	h.log.Log(r.Context(), level, "clerk webhook", slog.String("type", typ), slog.String("svix_id", svixID(r)), slog.String("outcome", outcome))
	writeJSON(w, http.StatusOK, map[string]string{"status": outcome})
}

func (h *WebhookHandler) reject(w http.ResponseWriter, r *http.Request, typ string, status int, code, message string, err error) {
	h.metrics.count(typ, outcomeRejected)
	h.log.WarnContext(r.Context(), "clerk webhook rejected", slog.String("type", typ), slog.String("svix_id", svixID(r)),
		slog.String("outcome", outcomeRejected), slog.Int("status", status), slog.Any("error", err))
	writeJSONError(w, status, code, message)
}

// svixID is the delivery's message id (Svix's branded or Standard Webhooks'
// unbranded header; Verify accepted one of them).
func svixID(r *http.Request) string {
	if id := r.Header.Get("svix-id"); id != "" {
		return id
	}
	return r.Header.Get("webhook-id")
}

// effect applies one event inside its transaction.
type effect func(ctx context.Context, tx *gorm.DB) error

// eventEffect decodes ev's data and returns what applying it does; nil for
// types the app acknowledges and ignores. Clerk adds event types over time,
// and an error for them would make Svix retry forever.
//
// organizationInvitation.* are ignored: an accepted invitation also sends
// organizationMembership.created, which is what grants access.
func eventEffect(ev webhookEvent) (effect, error) {
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
	case "session.ended", "session.removed", "session.revoked":
		return decode(ev, func(d sessionData, _ time.Time) effect {
			return func(ctx context.Context, tx *gorm.DB) error {
				status := d.Status
				if status == "" {
					status = strings.TrimPrefix(ev.Type, "session.")
				}
				return models.RevokeSession(ctx, tx, d.ID, d.UserID, status)
			}
		})
	default:
		return nil, nil
	}
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

// WebhookMetrics counts webhook deliveries by type and outcome and observes
// how late events arrive. A nil *WebhookMetrics records nothing.
type WebhookMetrics struct {
	events *prometheus.CounterVec
	lag    prometheus.Histogram
}

// NewWebhookMetrics creates the metrics and registers them on reg (when not nil).
func NewWebhookMetrics(reg prometheus.Registerer) *WebhookMetrics {
	m := &WebhookMetrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clerk_webhook_events_total",
			Help: "Clerk webhook deliveries by event type and outcome (applied, duplicate, ignored, failed, rejected).",
		}, []string{"type", "outcome"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "clerk_webhook_lag_seconds",
			Help:    "Time from the event's timestamp to its delivery.",
			Buckets: []float64{0.1, 0.5, 1, 5, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.events, m.lag)
	}
	return m
}

func (m *WebhookMetrics) count(typ, outcome string) {
	if m == nil {
		return
	}
	if typ == "" {
		typ = "unknown"
	} else if len(typ) > 64 {
		typ = typ[:64] // the label comes from a signed body, but stay bounded
	}
	m.events.WithLabelValues(typ, outcome).Inc()
}

func (m *WebhookMetrics) observeLag(t time.Time) {
	if m == nil || t.IsZero() {
		return
	}
	m.lag.Observe(max(time.Since(t).Seconds(), 0))
}
