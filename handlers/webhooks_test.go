package handlers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"example.com/saas/handlers"
	"example.com/saas/internal/apptest"
	"example.com/saas/internal/clerkdev"
	"example.com/saas/internal/clerkfixtures"
	"example.com/saas/internal/clerksync"
	"example.com/saas/internal/database"
	"example.com/saas/internal/live"
	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// syncTables are every table a delivery may write.
var syncTables = []string{"users", "organizations", "memberships", "webhook_events", "revoked_sessions", "deleted_memberships", "organization_domains"}

// hook posts signed deliveries to a real WebhookHandler on a fresh database.
type hook struct {
	t       testing.TB
	db      *gorm.DB
	secret  string
	wh      *clerksync.Webhooks
	h       *handlers.WebhookHandler
	reg     *prometheus.Registry
	counter int
}

func newHook(t testing.TB) *hook {
	t.Helper()
	db, _ := testenv.DB(t)
	return newHookOn(t, db)
}

func newHookOn(t testing.TB, db *gorm.DB) *hook {
	t.Helper()
	return newHookWith(t, db, nil)
}

// newHookWith is newHookOn whose deliveries tell revoked of ended sessions.
func newHookWith(t testing.TB, db *gorm.DB, revoked *live.Revocations) *hook {
	t.Helper()
	key := make([]byte, 24)
	rand.Read(key)
	k := &hook{t: t, db: db, secret: "whsec_" + base64.StdEncoding.EncodeToString(key), reg: prometheus.NewRegistry()}
	k.receiveOn(db, revoked, clerksync.NewWebhookMetrics(k.reg))
	return k
}

// receiveOn makes k's handler apply deliveries to db.
func (k *hook) receiveOn(db *gorm.DB, revoked *live.Revocations, metrics *clerksync.WebhookMetrics) {
	k.t.Helper()
	wh, err := clerksync.NewWebhooks(clerksync.NewStore(db, testenv.TenantRole, nil, revoked), k.secret, metrics)
	if err != nil {
		k.t.Fatal(err)
	}
	k.wh, k.h = wh, handlers.NewWebhookHandler(wh, nil)
}

// signed builds a delivery of body signed at ts with msgID.
func (k *hook) signed(msgID string, ts time.Time, body []byte) *http.Request {
	k.t.Helper()
	sig, err := clerkdev.SignWebhook(k.secret, msgID, ts, body)
	if err != nil {
		k.t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Length", strconv.Itoa(len(body))) // as net/http's server keeps it
	r.Header.Set("svix-id", msgID)
	r.Header.Set("svix-timestamp", fmt.Sprint(ts.Unix()))
	r.Header.Set("svix-signature", sig)
	return r
}

func (k *hook) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	k.h.ServeHTTP(w, r)
	return w
}

// post delivers body under a new svix id, wants wantStatus, and returns the
// outcome the handler reported.
func (k *hook) post(body []byte, wantStatus int) string {
	k.t.Helper()
	k.counter++
	return k.postID(fmt.Sprintf("msg_test_%d", k.counter), body, wantStatus)
}

func (k *hook) postID(id string, body []byte, wantStatus int) string {
	k.t.Helper()
	w := k.serve(k.signed(id, time.Now(), body))
	if w.Code != wantStatus {
		k.t.Fatalf("delivery %s: status %d, want %d; body %s", id, w.Code, wantStatus, w.Body)
	}
	var resp struct {
		Status string `json:"status"`
	}
	json.Unmarshal(w.Body.Bytes(), &resp)
	return resp.Status
}

// counts returns the row count of every synced table, in one round trip
// (the webhook fuzz target calls it twice per input).
func (k *hook) counts() map[string]int {
	k.t.Helper()
	selects := make([]string, len(syncTables))
	for i, table := range syncTables {
		selects[i] = fmt.Sprintf("SELECT '%s' AS name, count(*) AS n FROM %s", table, table)
	}
	var rows []struct {
		Name string
		N    int
	}
	if err := k.db.Raw(strings.Join(selects, " UNION ALL ")).Scan(&rows).Error; err != nil {
		k.t.Fatal(err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Name] = r.N
	}
	return out
}

// empty truncates every synced table (and what references them).
func (k *hook) empty() {
	k.t.Helper()
	if err := k.db.Exec("TRUNCATE " + strings.Join(syncTables, ", ") + " CASCADE").Error; err != nil {
		k.t.Fatal(err)
	}
}

func (k *hook) wantNothingWritten() {
	k.t.Helper()
	for table, n := range k.counts() {
		if n != 0 {
			k.t.Errorf("%s has %d rows, want none", table, n)
		}
	}
}

func (k *hook) user(id string) *models.User {
	k.t.Helper()
	u, err := models.GetUser(context.Background(), k.db, id)
	if err != nil {
		k.t.Fatal(err)
	}
	return u
}

func (k *hook) org(id string) *models.Organization {
	k.t.Helper()
	o, err := models.GetOrganization(context.Background(), k.db, id)
	if err != nil {
		k.t.Fatal(err)
	}
	return o
}

// event is a fixture decoded loosely, to derive what it must change.
type event struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return clerkfixtures.Bytes(t, name)
}

// edit returns body with data fields replaced (nil deletes a field).
func edit(t testing.TB, body []byte, top map[string]any, data map[string]any) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	for k, v := range top {
		ev[k] = v
	}
	d := ev["data"].(map[string]any)
	for k, v := range data {
		if v == nil {
			delete(d, k)
		} else {
			d[k] = v
		}
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func eventFixtures(t *testing.T) []string {
	out := clerkfixtures.Events(t)
	if len(out) < 40 {
		t.Fatalf("found %d event fixtures, want the full set", len(out))
	}
	return out
}

// TestWebhookAcceptsEveryFixture applies each of Clerk's example events to
// empty synced tables: one database, emptied before each fixture (a clone
// per fixture would cost a CREATE DATABASE each).
func TestWebhookAcceptsEveryFixture(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	for _, name := range eventFixtures(t) {
		t.Run(name, func(t *testing.T) {
			k := newHookOn(t, db)
			k.empty()
			body := fixture(t, name)
			var ev event
			if err := json.Unmarshal(body, &ev); err != nil {
				t.Fatal(err)
			}
			status := k.post(body, http.StatusOK)
			id, _ := ev.Data["id"].(string)
			c := k.counts()
			switch ev.Type {
			case "user.created", "user.updated":
				checkUserFixture(t, k, ev)
			case "user.deleted":
				if u := k.user(id); !u.Deleted() || u.Email != "" {
					t.Errorf("user = %+v, want a deleted tombstone", u)
				}
			case "organization.created", "organization.updated":
				o := k.org(id)
				if o.Name != ev.Data["name"] || string(o.Slug) != ev.Data["slug"] || o.ImageURL == "" || o.ClerkUpdatedAt == nil {
					t.Errorf("organization = %+v, want the event's data", o)
				}
			case "organization.deleted":
				if o := k.org(id); !o.Deleted() || o.Slug != "" {
					t.Errorf("organization = %+v, want a deleted tombstone without slug", o)
				}
			case "organizationMembership.created", "organizationMembership.updated":
				checkMembershipFixture(t, k, ev)
			case "organizationMembership.deleted":
				if c["memberships"] != 0 || c["deleted_memberships"] != 1 {
					t.Errorf("counts = %v, want the membership remembered as deleted", c)
				}
			case "session.ended", "session.removed", "session.revoked":
				revoked, err := models.IsSessionRevoked(context.Background(), k.db, id)
				if err != nil || !revoked {
					t.Errorf("session %s revoked = %v, %v", id, revoked, err)
				}
			default:
				if status != "ignored" {
					t.Errorf("status = %q, want ignored", status)
				}
				k.wantNothingWritten()
				return
			}
			if status != "applied" || c["webhook_events"] != 1 {
				t.Errorf("status %q, webhook_events %d; want applied and recorded", status, c["webhook_events"])
			}
		})
	}
}

func checkUserFixture(t *testing.T, k *hook, ev event) {
	t.Helper()
	u := k.user(ev.Data["id"].(string))
	wantEmail := ""
	if addrs, _ := ev.Data["email_addresses"].([]any); len(addrs) > 0 {
		wantEmail = addrs[0].(map[string]any)["email_address"].(string)
	}
	first, _ := ev.Data["first_name"].(string)
	last, _ := ev.Data["last_name"].(string)
	if u.Email != wantEmail || u.FirstName != first || u.LastName != last || u.ImageURL != ev.Data["image_url"] {
		t.Errorf("user = %+v, want email %q, name %q %q, image %v", u, wantEmail, first, last, ev.Data["image_url"])
	}
	want := models.ClerkTime(int64(ev.Data["updated_at"].(float64)))
	if u.ClerkUpdatedAt == nil || !u.ClerkUpdatedAt.Equal(want) {
		t.Errorf("clerk_updated_at = %v, want %v", u.ClerkUpdatedAt, want)
	}
}

func checkMembershipFixture(t *testing.T, k *hook, ev event) {
	t.Helper()
	org := ev.Data["organization"].(map[string]any)
	pud := ev.Data["public_user_data"].(map[string]any)
	m, err := models.MembershipFor(context.Background(), k.db, org["id"].(string), pud["user_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	role := ev.Data["role"].(string)
	wantRole := map[string]string{"admin": "org:admin", "basic_member": "org:member"}[role]
	if wantRole == "" {
		wantRole = role
	}
	wantPerms := models.DefaultPermissions(wantRole)
	if perms, ok := ev.Data["permissions"].([]any); ok {
		wantPerms = nil
		for _, p := range perms {
			wantPerms = append(wantPerms, p.(string))
		}
	}
	if m.ID != ev.Data["id"] || m.Role != wantRole || !slices.Equal(m.Permissions, wantPerms) {
		t.Errorf("membership = %+v, want role %s, permissions %q", m, wantRole, wantPerms)
	}
	// The user and organization arrived only inside the membership: minimal
	// rows without a Clerk version, so their own events still apply.
	u := k.user(pud["user_id"].(string))
	if u.Email != pud["identifier"] || u.ClerkUpdatedAt != nil {
		t.Errorf("user stub = %+v", u)
	}
	if o := k.org(org["id"].(string)); o.Name != org["name"] || string(o.Slug) != org["slug"] || o.ClerkUpdatedAt != nil {
		t.Errorf("organization stub = %+v", o)
	}
}

func TestWebhookLifecycle(t *testing.T) {
	t.Parallel()
	k := newHook(t)
	ctx := context.Background()
	const userID, orgID = "user_2h8op3Isl1QR7tKu5FGNfaLKEoU", "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S"

	// Membership first: user and organization rows are made from it.
	k.post(fixture(t, "organizationMembership.created.json"), http.StatusOK)
	// Then the user's and organization's own events apply over the stubs.
	k.post(edit(t, fixture(t, "user.created.json"), nil, map[string]any{
		"id":                       userID,
		"primary_email_address_id": "idn_b",
		"email_addresses": []any{
			map[string]any{"id": "idn_a", "email_address": "other@acme.com"},
			map[string]any{"id": "idn_b", "email_address": "jane@acme.com"},
		},
		"first_name": "Jane", "last_name": nil, "image_url": nil,
	}), http.StatusOK)
	if u := k.user(userID); u.Email != "jane@acme.com" || u.LastName != "" || u.ImageURL != "https://img.clerk.com/xxxxxx" {
		t.Errorf("user = %+v, want primary email, null last name, legacy profile_image_url", u)
	}
	k.post(fixture(t, "organization.updated.json"), http.StatusOK)
	if o := k.org(orgID); o.Name != "Acme Corp Updated" || o.Slug != "acme-corp-updated" {
		t.Errorf("organization = %+v", o)
	}
	// A stale organization.created (older updated_at) changes nothing.
	k.post(fixture(t, "organization.created.json"), http.StatusOK)
	if o := k.org(orgID); o.Name != "Acme Corp Updated" {
		t.Errorf("stale create overwrote the organization: %+v", o)
	}

	k.post(fixture(t, "organizationMembership.updated.json"), http.StatusOK)
	m, err := models.MembershipFor(ctx, k.db, orgID, userID)
	if err != nil || m.Role != models.RoleAdmin || !m.Has("org:members:manage") {
		t.Fatalf("membership = %+v, %v; want admin", m, err)
	}
	_, orgs, err := models.UserAndOrganizations(ctx, k.db, userID)
	if err != nil || len(orgs) != 1 || orgs[0].Role != models.RoleAdmin {
		t.Fatalf("UserAndOrganizations = %+v, %v", orgs, err)
	}

	// Membership deleted, then its create retried late: access stays removed.
	k.post(fixture(t, "organizationMembership.deleted.json"), http.StatusOK)
	k.post(fixture(t, "organizationMembership.created.json"), http.StatusOK)
	if c := k.counts(); c["memberships"] != 0 {
		t.Fatalf("memberships = %d after delete and a late create, want 0", c["memberships"])
	}

	// Organization deleted: slug freed, memberships gone, never resurrected.
	k.post(edit(t, fixture(t, "organizationMembership.created.json"), nil, map[string]any{"id": "orgmem_second"}), http.StatusOK)
	k.post(edit(t, fixture(t, "organization.deleted.json"), map[string]any{"timestamp": time.Now().UnixMilli()}, nil), http.StatusOK)
	if o := k.org(orgID); !o.Deleted() || o.Slug != "" {
		t.Errorf("organization = %+v, want deleted without slug", o)
	}
	if _, err := models.MembershipFor(ctx, k.db, orgID, userID); err == nil {
		t.Error("membership survived its organization's deletion")
	}
	k.post(edit(t, fixture(t, "organization.updated.json"), nil, map[string]any{"updated_at": time.Now().Add(time.Hour).UnixMilli()}), http.StatusOK)
	if o := k.org(orgID); !o.Deleted() {
		t.Errorf("a later update brought the deleted organization back: %+v", o)
	}
}

func TestWebhookUserDeletion(t *testing.T) {
	t.Parallel()
	k := newHook(t)
	ctx := context.Background()
	const userID = "user_2h8op3Isl1QR7tKu5FGNfaLKEoU"
	k.post(fixture(t, "organizationMembership.created.json"), http.StatusOK)
	created := edit(t, fixture(t, "user.updated.json"), nil, map[string]any{"id": userID, "updated_at": 1716883500000})
	k.post(created, http.StatusOK)

	// user.deleted carries only the id; its time is the event's timestamp (seconds here).
	deleted := edit(t, fixture(t, "user.deleted.json"), map[string]any{"timestamp": 1716883600}, map[string]any{"id": userID})
	k.post(deleted, http.StatusOK)
	u := k.user(userID)
	if !u.Deleted() || u.Email != "" || u.FirstName != "" || u.LastName != "" || u.ImageURL != "" {
		t.Errorf("user = %+v, want personal data cleared", u)
	}
	if members, _ := models.MembersOf(models.WithTenant(ctx, models.Tenant{OrgID: "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S"}), k.db); len(members) != 0 {
		t.Errorf("members = %+v, want none", members)
	}
	if c := k.counts(); c["memberships"] != 0 {
		t.Errorf("memberships = %d, want 0", c["memberships"])
	}
	// A stale update (or even a later one) arriving after the deletion does
	// not bring personal data back, nor does a retried membership.
	k.post(edit(t, created, nil, map[string]any{"updated_at": 1716883700000}), http.StatusOK)
	k.post(fixture(t, "organizationMembership.updated.json"), http.StatusOK)
	if u := k.user(userID); !u.Deleted() || u.FirstName != "" {
		t.Errorf("user = %+v, want still deleted and cleared", u)
	}
	if c := k.counts(); c["memberships"] != 0 {
		t.Errorf("memberships = %d after a late membership event, want 0", c["memberships"])
	}
}

func TestWebhookReordering(t *testing.T) {
	t.Parallel()
	k := newHook(t)
	const userID = "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S"
	// The update (updated_at …500000, ms) arrives before the create (…200000).
	k.post(fixture(t, "user.updated.json"), http.StatusOK)
	k.post(fixture(t, "user.created.json"), http.StatusOK)
	if u := k.user(userID); u.LastName != "Doe Updated" || u.ImageURL != "https://img.clerk.com/yyyyy" {
		t.Errorf("user = %+v, want the update's data", u)
	}
	// The same timestamp in seconds is understood as the same instant.
	k.post(edit(t, fixture(t, "user.updated.json"), nil, map[string]any{"updated_at": 1716883400, "last_name": "Stale"}), http.StatusOK)
	if u := k.user(userID); u.LastName != "Doe Updated" {
		t.Errorf("a stale update (seconds) overwrote newer data: %+v", u)
	}
	k.post(edit(t, fixture(t, "user.updated.json"), nil, map[string]any{"updated_at": 1716883600, "last_name": "Newer"}), http.StatusOK)
	if u := k.user(userID); u.LastName != "Newer" {
		t.Errorf("a newer update was not applied: %+v", u)
	}
}

func TestWebhookRedelivery(t *testing.T) {
	t.Parallel()
	k := newHook(t)
	body := fixture(t, "user.created.json")
	if got := k.postID("msg_same", body, http.StatusOK); got != "applied" {
		t.Errorf("first delivery: %q, want applied", got)
	}
	// Change the row meanwhile: a redelivery must not reapply its effect.
	k.post(edit(t, fixture(t, "user.updated.json"), nil, map[string]any{"last_name": "Later"}), http.StatusOK)
	if got := k.postID("msg_same", body, http.StatusOK); got != "duplicate" {
		t.Errorf("redelivery: %q, want duplicate", got)
	}
	if c := k.counts(); c["webhook_events"] != 2 || c["users"] != 1 {
		t.Errorf("counts = %v, want 2 events and 1 user", c)
	}
	if u := k.user("user_2g7np7Hrk0SN6kj5EDMLDaKNL0S"); u.LastName != "Later" {
		t.Errorf("user = %+v", u)
	}
	if got := metric(t, k.reg, "clerk_webhook_events_total", map[string]string{"type": "user.created", "outcome": "duplicate"}); got != 1 {
		t.Errorf("duplicate counter = %v, want 1", got)
	}
	if got := metric(t, k.reg, "clerk_webhook_events_total", map[string]string{"type": "user.created", "outcome": "applied"}); got != 1 {
		t.Errorf("applied counter = %v, want 1", got)
	}
}

func TestWebhookRefusals(t *testing.T) {
	t.Parallel()
	valid := fixture(t, "user.created.json")
	tests := []struct {
		name   string
		req    func(k *hook) *http.Request
		status int
	}{
		{"no signature headers", func(k *hook) *http.Request {
			return httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(valid))
		}, http.StatusUnauthorized},
		{"bad signature", func(k *hook) *http.Request {
			r := k.signed("msg_1", time.Now(), valid)
			r.Header.Set("svix-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=")
			return r
		}, http.StatusUnauthorized},
		{"signed with another secret", func(k *hook) *http.Request {
			other := newHookOn(k.t, k.db)
			return other.signed("msg_1", time.Now(), valid)
		}, http.StatusUnauthorized},
		{"body changed after signing", func(k *hook) *http.Request {
			r := k.signed("msg_1", time.Now(), valid)
			r.Body = io.NopCloser(bytes.NewReader(append(bytes.Clone(valid), ' ')))
			return r
		}, http.StatusUnauthorized},
		{"old timestamp", func(k *hook) *http.Request {
			return k.signed("msg_1", time.Now().Add(-6*time.Minute), valid)
		}, http.StatusUnauthorized},
		{"future timestamp", func(k *hook) *http.Request {
			return k.signed("msg_1", time.Now().Add(6*time.Minute), valid)
		}, http.StatusUnauthorized},
		{"oversized body", func(k *hook) *http.Request {
			big := edit(k.t, valid, nil, map[string]any{"first_name": strings.Repeat("x", 1<<20)})
			return k.signed("msg_1", time.Now(), big)
		}, http.StatusRequestEntityTooLarge},
		{"malformed JSON", func(k *hook) *http.Request {
			return k.signed("msg_1", time.Now(), []byte(`{"type": "user.created", "data": {`))
		}, http.StatusBadRequest},
		{"not an event", func(k *hook) *http.Request {
			return k.signed("msg_1", time.Now(), []byte(`[1, 2, 3]`))
		}, http.StatusBadRequest},
		{"data without id", func(k *hook) *http.Request {
			return k.signed("msg_1", time.Now(), edit(k.t, valid, nil, map[string]any{"id": nil}))
		}, http.StatusBadRequest},
		{"membership without user", func(k *hook) *http.Request {
			return k.signed("msg_1", time.Now(), edit(k.t, fixture(k.t, "organizationMembership.created.json"), nil, map[string]any{"public_user_data": nil}))
		}, http.StatusBadRequest},
		{"data of the wrong shape", func(k *hook) *http.Request {
			return k.signed("msg_1", time.Now(), edit(k.t, valid, nil, map[string]any{"first_name": 42}))
		}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newHook(t)
			w := k.serve(tt.req(k))
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if strings.Contains(w.Body.String(), "John") {
				t.Errorf("response echoes the body: %s", w.Body)
			}
			k.wantNothingWritten()
		})
	}
}

func TestWebhookDatabaseFailure(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DB(t)
	broken, err := database.Open(context.Background(), dbURL, database.PoolConfig{MaxOpen: 1, MaxIdle: 1, MaxLifetime: time.Minute, MaxIdleTime: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	database.Close(broken)

	k := newHookOn(t, broken)
	body := fixture(t, "user.created.json")
	w := k.serve(k.signed("msg_retry", time.Now(), body))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", w.Code)
	}
	if got := metric(t, k.reg, "clerk_webhook_events_total", map[string]string{"type": "user.created", "outcome": "failed"}); got != 1 {
		t.Errorf("failed counter = %v, want 1", got)
	}

	// Svix retries the same message once the database is back.
	k.db = db
	k.receiveOn(db, nil, nil)
	k.wantNothingWritten()
	if got := k.postID("msg_retry", body, http.StatusOK); got != "applied" {
		t.Errorf("retry: %q, want applied", got)
	}
	if c := k.counts(); c["users"] != 1 || c["webhook_events"] != 1 {
		t.Errorf("counts = %v", c)
	}
}

func TestWebhookFailureMidTransactionWritesNothing(t *testing.T) {
	t.Parallel()
	k := newHook(t)
	k.post(fixture(t, "organization.created.json"), http.StatusOK) // slug acme-corp
	// Another organization takes the slug before the first one's rename has
	// arrived: the insert fails, the event is refused with 503 and its svix
	// id is not recorded, so Svix's retry still applies it.
	other := edit(t, fixture(t, "organization.created.json"), nil, map[string]any{"id": "org_other"})
	before := k.counts()
	w := k.serve(k.signed("msg_other", time.Now(), other))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", w.Code)
	}
	if after := k.counts(); after["webhook_events"] != before["webhook_events"] || after["organizations"] != before["organizations"] {
		t.Fatalf("counts %v after a failed delivery, want %v", after, before)
	}
	k.post(fixture(t, "organization.updated.json"), http.StatusOK) // renames to acme-corp-updated
	if got := k.postID("msg_other", other, http.StatusOK); got != "applied" {
		t.Errorf("retry: %q, want applied", got)
	}
	if o := k.org("org_other"); o.Slug != "acme-corp" {
		t.Errorf("organization = %+v", o)
	}
}

func TestWebhookThroughRouter(t *testing.T) {
	t.Parallel()
	k := newHook(t)
	h := handlers.New(handlers.Deps{Log: discardLogger(), DB: k.db, Webhooks: k.wh, Ready: func(context.Context) error { return nil }})
	srv := httptest.NewServer(h.Routes(handlers.RouterConfig{Static: http.NotFoundHandler()}))
	defer srv.Close()
	body := fixture(t, "session.revoked.json")
	r := k.signed("msg_router", time.Now(), body)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/clerk", bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200 through the router (CSRF protection must let Svix through)", resp.StatusCode)
	}
	if revoked, _ := models.IsSessionRevoked(context.Background(), k.db, "sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S"); !revoked {
		t.Error("session not revoked")
	}
}

// TestWebhookOutcomeOnTheAccessLine: a delivery's type, id and outcome are
// on its request's access log line; only one that was not applied (here a
// bad signature) gets a line of its own, with the error.
func TestWebhookOutcomeOnTheAccessLine(t *testing.T) {
	t.Parallel()
	k := newHook(t)
	logs := &apptest.SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	h := handlers.New(handlers.Deps{Log: log, DB: k.db, Webhooks: k.wh, Ready: func(context.Context) error { return nil }})
	srv := httptest.NewServer(h.Routes(handlers.RouterConfig{Static: http.NotFoundHandler()}))
	defer srv.Close()
	body := fixture(t, "user.created.json")
	post := func(header http.Header) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/clerk", bytes.NewReader(body))
		req.Header = header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	header := k.signed("msg_logged", time.Now(), body).Header
	post(header)
	post(header)
	forged := header.Clone()
	forged.Set("svix-signature", "v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32)))
	post(forged)

	var got []string
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		got = append(got, fmt.Sprintf("%v %v %v %v", rec["msg"], rec["type"], rec["svix_id"], rec["outcome"]))
	}
	want := []string{
		"request user.created msg_logged applied",
		"request user.created msg_logged duplicate",
		"clerk webhook rejected  msg_logged rejected",
		"request  msg_logged rejected",
	}
	if !slices.Equal(got, want) {
		t.Errorf("log lines (msg type svix_id outcome):\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// metric returns the value of the counter name with labels, 0 if absent.
func metric(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestWebhookHandlerNotConfigured(t *testing.T) {
	t.Parallel()
	for _, h := range []*handlers.WebhookHandler{nil, {}} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/webhooks/clerk", strings.NewReader("{}")))
		if w.Code != http.StatusServiceUnavailable {
			t.Errorf("status = %d, want 503 so Svix keeps the event", w.Code)
		}
	}
	if _, err := clerksync.NewWebhooks(nil, "", nil); err == nil {
		t.Error("an empty secret was accepted")
	}
	if _, err := clerksync.NewWebhooks(nil, "whsec_not*base64", nil); err == nil {
		t.Error("a malformed secret was accepted")
	}
}

// TestRevocationAppliesOnCommit: the instance that records a revocation
// refuses the session on its very next request, without waiting for its
// own NOTIFY to come back (no Listener runs here, so only the commit path
// can tell it). Other instances learn by NOTIFY.
func TestRevocationAppliesOnCommit(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	revoked := live.NewRevocations(db)
	revoked.SetLive(true) // answers from memory, as with a Listener running
	k := newHookWith(t, db, revoked)
	const sid = "sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S" // the fixture's session
	k.post(fixture(t, "session.revoked.json"), http.StatusOK)
	if ok, err := revoked.IsRevoked(context.Background(), sid); err != nil || !ok {
		t.Fatalf("IsRevoked right after the webhook = %v, %v; want true", ok, err)
	}
	// A session.created event revokes nothing.
	k.post(edit(t, fixture(t, "session.created.json"), nil, map[string]any{"id": "sess_other"}), http.StatusOK)
	if ok, _ := revoked.IsRevoked(context.Background(), "sess_other"); ok {
		t.Error("session.created revoked its session")
	}
}

// TestReplayWithSwappedIDHeadersIsDuplicate: a captured delivery signed
// with the unbranded webhook-* headers, resent with a made-up svix-id (and
// no other svix-* header), is verified with the webhook-* set; its id must
// come from that same set, so the resend is a duplicate, not a new event.
func TestReplayWithSwappedIDHeadersIsDuplicate(t *testing.T) {
	t.Parallel()
	k := newHook(t)
	body := fixture(t, "user.created.json")
	signed := k.signed("msg_original", time.Now(), body)
	unbranded := func(extra map[string]string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		for _, h := range []string{"id", "timestamp", "signature"} {
			r.Header.Set("webhook-"+h, signed.Header.Get("svix-"+h))
		}
		for name, v := range extra {
			r.Header.Set(name, v)
		}
		return r
	}
	outcome := func(r *http.Request) string {
		w := k.serve(r)
		var resp struct {
			Status string `json:"status"`
		}
		json.Unmarshal(w.Body.Bytes(), &resp)
		return fmt.Sprintf("%d %s", w.Code, resp.Status)
	}
	if got := outcome(unbranded(nil)); got != "200 applied" {
		t.Fatalf("original delivery = %s, want 200 applied", got)
	}
	for i := range 3 {
		replay := unbranded(map[string]string{"svix-id": fmt.Sprintf("msg_forged_%d", i)})
		if got := outcome(replay); got != "200 duplicate" {
			t.Errorf("replay %d with a made-up svix-id = %s, want 200 duplicate", i, got)
		}
	}
	if n := k.counts()["webhook_events"]; n != 1 {
		t.Errorf("webhook_events has %d rows, want 1", n)
	}
}

// TestWebhookSameDeliveryAtOnce fires one delivery several times at the
// same moment (Svix retrying a delivery whose answer was slow): for the
// events written in one statement (user, organization) and for those
// written in a transaction (membership), exactly one applies it.
func TestWebhookSameDeliveryAtOnce(t *testing.T) {
	t.Parallel()
	const copies = 8
	k := newHook(t)
	for _, name := range []string{"user.created.json", "organization.created.json", "organizationMembership.created.json"} {
		body := fixture(t, name)
		id := "msg_at_once_" + name
		outcomes := make(chan string, copies)
		var wg sync.WaitGroup
		for range copies {
			wg.Go(func() {
				w := k.serve(k.signed(id, time.Now(), body))
				var got struct{ Status string }
				json.Unmarshal(w.Body.Bytes(), &got)
				outcomes <- fmt.Sprintf("%d %s", w.Code, got.Status)
			})
		}
		wg.Wait()
		close(outcomes)
		seen := map[string]int{}
		for o := range outcomes {
			seen[o]++
		}
		if seen["200 applied"] != 1 || seen["200 duplicate"] != copies-1 {
			t.Errorf("%s: outcomes %v, want one applied and %d duplicates", name, seen, copies-1)
		}
	}
	if c := k.counts(); c["webhook_events"] != 3 {
		t.Errorf("counts = %v, want 3 events", c)
	}
}

// TestWebhookRedeliveryWritesNothing: a redelivery is refused by its id,
// not only by the version check: here the stored row's version is cleared
// (as a row written before versions were kept), so only the id stops the
// old event from being written again.
func TestWebhookRedeliveryWritesNothing(t *testing.T) {
	t.Parallel()
	k := newHook(t)
	for _, tt := range []struct{ fixture, table, id string }{
		{"user.created.json", "users", "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S"},
		{"organization.created.json", "organizations", "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S"},
	} {
		body := fixture(t, tt.fixture)
		msg := "msg_redeliver_" + tt.table
		if got := k.postID(msg, body, http.StatusOK); got != "applied" {
			t.Fatalf("%s: first delivery %q", tt.table, got)
		}
		if err := k.db.Exec("UPDATE "+tt.table+" SET clerk_updated_at = NULL, image_url = 'changed' WHERE id = ?", tt.id).Error; err != nil {
			t.Fatal(err)
		}
		if got := k.postID(msg, body, http.StatusOK); got != "duplicate" {
			t.Errorf("%s: redelivery %q, want duplicate", tt.table, got)
		}
		var image string
		k.db.Raw("SELECT image_url FROM "+tt.table+" WHERE id = ?", tt.id).Scan(&image)
		if image != "changed" {
			t.Errorf("%s: the redelivery wrote the row again (image_url %q)", tt.table, image)
		}
	}
}
