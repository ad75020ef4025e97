package reconcile_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/user"
	"gorm.io/gorm"

	"example.com/saas/handlers"
	"example.com/saas/internal/clerkdev"
	"example.com/saas/internal/clerksync"
	"example.com/saas/internal/reconcile"
	"example.com/saas/internal/testenv"
	"example.com/saas/models"
)

// emulator starts an in-process Clerk emulator (no webhook deliveries: every
// change is a "missed webhook") behind wrap, and returns clients for it.
func emulator(t *testing.T, seed *clerkdev.Seed, wrap func(http.Handler) http.Handler) (*clerkdev.Server, reconcile.Clients) {
	t.Helper()
	emu, err := clerkdev.New(clerkdev.Config{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	h := emu.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	emu.SetBaseURL(srv.URL)
	return emu, reconcile.NewClients(emu.SecretKey(), srv.URL+"/v1")
}

func sync(t *testing.T, db *gorm.DB, c reconcile.Clients) reconcile.Report {
	t.Helper()
	rep, err := reconcile.Reconcile(context.Background(), db, c, nil)
	if err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	return rep
}

func count(t *testing.T, db *gorm.DB, query string) int {
	t.Helper()
	var n int
	if err := db.Raw(query).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReconcileFromEmulator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := testenv.DB(t)
	_, c := emulator(t, nil, nil)

	// Enough users for two pages.
	for i := range 120 {
		_, err := c.Users.Create(ctx, &user.CreateParams{
			EmailAddresses: &[]string{fmt.Sprintf("u%03d@example.com", i)},
			FirstName:      clerk.String("User"), LastName: clerk.String(fmt.Sprint(i)),
			Password: clerk.String("correct horse battery staple"),
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	rep := sync(t, db, c)
	want := reconcile.Report{
		Users:         reconcile.Counts{Created: 123},
		Organizations: reconcile.Counts{Created: 2},
		Memberships:   reconcile.Counts{Created: 4},
	}
	if rep != want {
		t.Fatalf("first run:\n%v\nwant\n%v", rep, want)
	}
	alice, err := models.GetUser(ctx, db, "user_2alice000000000000000000000")
	if err != nil || alice.Email != "alice@example.com" || alice.FirstName != "Alice" || alice.ClerkUpdatedAt == nil {
		t.Fatalf("alice = %+v, %v", alice, err)
	}
	acme, err := models.OrganizationBySlug(ctx, db, "acme")
	if err != nil || acme.Name != "Acme Inc" {
		t.Fatalf("acme = %+v, %v", acme, err)
	}
	m, err := models.MembershipFor(ctx, db, acme.ID, alice.ID)
	if err != nil || m.Role != models.RoleAdmin || !m.Has("org:sys_memberships:manage") {
		t.Fatalf("alice in acme = %+v, %v", m, err)
	}

	// A second run changes nothing.
	if rep := sync(t, db, c); rep.Users.Unchanged != 123 || rep.Organizations.Unchanged != 2 || rep.Memberships.Unchanged != 4 ||
		rep.Users.Created+rep.Users.Updated+rep.Users.Deleted+rep.Memberships.Created+rep.Memberships.Deleted != 0 {
		t.Fatalf("second run changed things:\n%v", rep)
	}

	// Missed webhooks: a user deleted, an organization renamed, a local row
	// drifted, a membership Clerk never had.
	bob := "user_2bob00000000000000000000000"
	if _, err := c.Users.Delete(ctx, bob); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Organizations.Update(ctx, "org_2globex00000000000000000000", &organization.UpdateParams{Name: clerk.String("Globex Corp")}); err != nil {
		t.Fatal(err)
	}
	db.Exec("UPDATE users SET first_name = 'Drifted' WHERE id = ?", alice.ID)
	db.Exec(`INSERT INTO memberships (id, organization_id, user_id, role) VALUES ('orgmem_ghost', ?, 'user_2carol000000000000000000000', 'org:member')`, acme.ID)

	rep = sync(t, db, c)
	if rep.Users.Deleted != 1 || rep.Users.Updated != 1 || rep.Organizations.Updated != 1 || rep.Memberships.Deleted != 1 {
		t.Fatalf("repair run:\n%v\nwant 1 user deleted and 1 updated, 1 organization updated, the ghost membership deleted", rep)
	}
	if u, _ := models.GetUser(ctx, db, bob); !u.Deleted() || u.Email != "" {
		t.Errorf("bob = %+v, want deleted", u)
	}
	if u, _ := models.GetUser(ctx, db, alice.ID); u.FirstName != "Alice" {
		t.Errorf("alice = %+v, want repaired", u)
	}
	if o, _ := models.OrganizationBySlug(ctx, db, "globex"); o == nil || o.Name != "Globex Corp" {
		t.Errorf("globex = %+v", o)
	}
	if n := count(t, db, "SELECT count(*) FROM memberships"); n != 3 {
		t.Errorf("memberships = %d, want 3 (alice in both, carol in globex; bob's went with bob, the ghost is gone)", n)
	}

	// An organization deleted in Clerk goes, with its memberships.
	if _, err := c.Organizations.Delete(ctx, "org_2globex00000000000000000000"); err != nil {
		t.Fatal(err)
	}
	rep = sync(t, db, c)
	if rep.Organizations.Deleted != 1 {
		t.Fatalf("after org delete:\n%v", rep)
	}
	if _, err := models.OrganizationBySlug(ctx, db, "globex"); err == nil {
		t.Error("globex still live")
	}
	if n := count(t, db, "SELECT count(*) FROM memberships"); n != 1 {
		t.Errorf("memberships = %d, want 1", n)
	}
}

func TestReconcileRetriesRateLimits(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	var limited atomic.Int32
	_, c := emulator(t, nil, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Every third Backend API call is rate limited once.
			if strings.HasPrefix(r.URL.Path, "/v1/") && limited.Add(1)%3 == 1 {
				w.Header().Set("Retry-After", "0")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"errors":[{"code":"too_many_requests","message":"Too many requests"}]}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	rep := sync(t, db, c)
	if rep.Users.Created != 3 || rep.Organizations.Created != 2 || rep.Memberships.Created != 4 {
		t.Fatalf("report:\n%v", rep)
	}
}

func TestReconcileGivesUpAfterBoundedRetries(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	var calls atomic.Int32
	_, c := emulator(t, nil, func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"errors":[{"code":"too_many_requests","message":"Too many requests"}]}`)
		})
	})
	c.MaxAttempts = 3
	if _, err := reconcile.Reconcile(context.Background(), db, c, nil); err == nil {
		t.Fatal("Reconcile succeeded against an API that always answers 429")
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("calls = %d, want 3", n)
	}
}

func TestReconcileKeepsLocalRowsWhenClerkListsNone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := testenv.DB(t)
	_, full := emulator(t, nil, nil)
	sync(t, db, full)

	// Another (empty) instance, e.g. the wrong secret key: nothing is deleted.
	_, empty := emulator(t, &clerkdev.Seed{}, nil)
	rep := sync(t, db, empty)
	if rep.Users.Deleted != 0 || rep.Organizations.Deleted != 0 {
		t.Fatalf("report:\n%v", rep)
	}
	if u, err := models.GetUser(ctx, db, "user_2alice000000000000000000000"); err != nil || u.Deleted() {
		t.Fatalf("alice = %+v, %v", u, err)
	}
}

// TestWebhooksAndReconcileAgree runs the emulator's webhooks into the real
// handler while changing things through the Backend API, then reconciles:
// webhooks alone must have left nothing to repair.
func TestWebhooksAndReconcileAgree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := testenv.DB(t)
	wh, err := clerksync.NewWebhooks(clerksync.NewStore(db, testenv.TenantRole, nil, nil), clerkdev.DefaultWebhookSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(handlers.NewWebhookHandler(wh, nil))
	t.Cleanup(app.Close)
	emu, err := clerkdev.New(clerkdev.Config{WebhookURL: app.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	emu.SetBaseURL(srv.URL)
	c := reconcile.NewClients(emu.SecretKey(), srv.URL+"/v1")
	sync(t, db, c) // the seed predates the webhook endpoint

	dave, err := c.Users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"dave@example.com"}, FirstName: clerk.String("Dave"),
		Password: clerk.String("correct horse battery staple")})
	if err != nil {
		t.Fatal(err)
	}
	org, err := c.Organizations.Create(ctx, &organization.CreateParams{Name: clerk.String("Initech"), Slug: clerk.String("initech"), CreatedBy: clerk.String(dave.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Memberships.Create(ctx, &organizationmembership.CreateParams{OrganizationID: org.ID, UserID: clerk.String("user_2bob00000000000000000000000"), Role: clerk.String("org:member")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Users.Update(ctx, dave.ID, &user.UpdateParams{LastName: clerk.String("Developer")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Users.Delete(ctx, "user_2carol000000000000000000000"); err != nil {
		t.Fatal(err)
	}
	flushCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := emu.Flush(flushCtx); err != nil {
		t.Fatal(err)
	}
	for _, d := range emu.Deliveries() {
		if d.State != "delivered" {
			t.Errorf("delivery %s (%s): %s, last status %d %s", d.ID, d.Type, d.State, d.LastStatus, d.LastError)
		}
	}

	u, err := models.GetUser(ctx, db, dave.ID)
	if err != nil || u.Email != "dave@example.com" || u.LastName != "Developer" {
		t.Fatalf("dave = %+v, %v", u, err)
	}
	if _, err := models.MembershipFor(ctx, db, org.ID, "user_2bob00000000000000000000000"); err != nil {
		t.Errorf("bob in initech: %v", err)
	}
	if u, _ := models.GetUser(ctx, db, "user_2carol000000000000000000000"); !u.Deleted() {
		t.Errorf("carol = %+v, want deleted", u)
	}
	rep := sync(t, db, c)
	if rep.Users.Created+rep.Users.Updated+rep.Users.Deleted+rep.Organizations.Created+rep.Organizations.Updated+rep.Organizations.Deleted+
		rep.Memberships.Created+rep.Memberships.Updated+rep.Memberships.Deleted != 0 {
		t.Errorf("reconcile after webhooks had work to do:\n%v", rep)
	}
}

// TestReconcileDomains: a domain whose webhooks were missed is synced, a
// second run changes nothing, and a domain deleted in Clerk is deleted here.
func TestReconcileDomains(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := testenv.DB(t)
	_, c := emulator(t, nil, nil)
	const globex = "org_2globex00000000000000000000"
	d, err := c.Domains.Create(ctx, globex, &organizationdomain.CreateParams{
		Name: clerk.String("example.com"), EnrollmentMode: clerk.String(models.EnrollSuggestion), Verified: clerk.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if rep := sync(t, db, c); rep.Domains != (reconcile.Counts{Created: 1}) {
		t.Fatalf("first run: %v", rep)
	}
	if got, err := models.GetDomain(ctx, db, d.ID); err != nil || got.Name != "example.com" || !got.Verified || got.OrganizationID != globex {
		t.Fatalf("domain = %+v, %v", got, err)
	}
	if rep := sync(t, db, c); rep.Domains != (reconcile.Counts{Unchanged: 1}) {
		t.Fatalf("second run: %v", rep)
	}
	if _, err := c.Domains.Delete(ctx, &organizationdomain.DeleteParams{OrganizationID: globex, DomainID: d.ID}); err != nil {
		t.Fatal(err)
	}
	if rep := sync(t, db, c); rep.Domains != (reconcile.Counts{Deleted: 1}) {
		t.Fatalf("after the delete: %v", rep)
	}
	if got, _ := models.GetDomain(ctx, db, d.ID); got == nil || got.DeletedAt == nil {
		t.Errorf("domain = %+v, want deleted", got)
	}
}
