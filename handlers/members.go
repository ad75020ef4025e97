package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"gorm.io/gorm"

	"example.com/saas/models"
	"example.com/saas/views"
)

// roleOptions are the roles an admin may give: Clerk's default ones.
var roleOptions = []views.Option{{Value: models.RoleMember, Label: "Member"}, {Value: models.RoleAdmin, Label: "Admin"}}

// clerkID matches Clerk's ids (user_…, orginv_…); anything else in a URL is
// a 404 and never reaches a Backend API path.
var clerkID = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

func membersURL(slug string) string { return "/orgs/" + slug + "/members" }

// membersState is what a re-rendered members page carries besides the data:
// the invite form's input and errors, and a refusal of a row's action.
type membersState struct {
	invite    views.InviteForm
	rowErrors map[string]string
	err       string
}

// listMembers shows the members from the local tables and, to admins, the
// pending invitations from Clerk.
func (h *Handlers) listMembers(w http.ResponseWriter, r *http.Request) {
	h.renderMembers(w, r, http.StatusOK, membersState{})
}

func (h *Handlers) renderMembers(w http.ResponseWriter, r *http.Request, status int, st membersState) {
	t, _ := models.TenantFrom(r.Context())
	members, err := models.MembersOf(r.Context(), h.DB)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	if st.invite.Role == "" {
		st.invite.Role = models.RoleMember
	}
	v := views.MembersView{Slug: t.Slug, CanManage: t.Can(models.PermMembershipsManage), Invite: st.invite, Roles: roleOptions, Error: st.err}
	admins := 0
	for _, m := range members {
		if models.NormalizeRole(m.Role) == models.RoleAdmin {
			admins++
		}
	}
	for _, m := range members {
		u := models.User{ID: m.UserID, Email: m.Email, FirstName: m.FirstName, LastName: m.LastName}
		role := models.NormalizeRole(m.Role)
		v.Members = append(v.Members, views.MemberRow{
			UserID: m.UserID, Name: u.DisplayName(), Email: m.Email, ImageURL: m.ImageURL,
			Initials: views.Initials(u.DisplayName(), m.Email), Role: role, RoleLabel: roleLabel(role),
			IsAdmin: role == models.RoleAdmin, Joined: m.CreatedAt.UTC().Format("Jan 2, 2006"),
			IsSelf: m.UserID == t.UserID, LastAdmin: role == models.RoleAdmin && admins <= 1,
			Error: st.rowErrors[m.UserID],
		})
	}
	if v.CanManage {
		v.Invitations, v.InvitationsError = h.pendingInvitations(r, t.OrgID)
	}
	h.render(w, r, status, views.Members(h.orgPage(w, r, "Members", "members"), v))
}

// pendingInvitations lists the organization's pending invitations from
// Clerk's Backend API (they are not synced locally). A failure is shown on
// the page instead of failing it.
func (h *Handlers) pendingInvitations(r *http.Request, orgID string) ([]views.InvitationRow, string) {
	list, err := h.Clerk.Invitations.List(r.Context(), &organizationinvitation.ListParams{
		OrganizationID: orgID, Statuses: &[]string{"pending"},
		ListParams: clerk.ListParams{Limit: clerk.Int64(100)},
	})
	if err != nil {
		h.Log.WarnContext(r.Context(), "list invitations", "error", err)
		return nil, "Pending invitations could not be loaded right now. Try again in a moment."
	}
	var out []views.InvitationRow
	for _, i := range list.OrganizationInvitations {
		row := views.InvitationRow{ID: i.ID, Email: i.EmailAddress, RoleLabel: roleLabel(i.Role), Sent: formatTime(time.UnixMilli(i.CreatedAt)), Expires: "never"}
		if i.ExpiresAt != nil {
			row.Expires = formatTime(time.UnixMilli(*i.ExpiresAt))
		}
		out = append(out, row)
	}
	return out, ""
}

// inviteForm is the invite-by-email form.
type inviteForm struct {
	Email string
	Role  string
}

// Validate returns the form's field errors.
func (f inviteForm) Validate() map[string]string {
	errs := map[string]string{}
	if f.Email == "" {
		errs["email"] = "Enter an email address."
	} else if a, err := mail.ParseAddress(f.Email); err != nil || a.Address != f.Email || len(f.Email) > 254 || !strings.Contains(f.Email[strings.LastIndex(f.Email, "@")+1:], ".") {
		errs["email"] = "Enter a valid email address, such as name@example.com."
	}
	if !validRole(f.Role) {
		errs["role"] = "Choose member or admin."
	}
	return errs
}

func validRole(role string) bool {
	for _, o := range roleOptions {
		if o.Value == role {
			return true
		}
	}
	return false
}

// createInvitation invites an email address through Clerk; an address that
// is already a member or already invited gets a field error, not a second
// invitation.
func (h *Handlers) createInvitation(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	t, _ := models.TenantFrom(r.Context())
	f := inviteForm{Email: strings.ToLower(strings.TrimSpace(r.PostFormValue("email"))), Role: r.PostFormValue("role")}
	if f.Role == "" {
		f.Role = models.RoleMember
	}
	fail := func(errs map[string]string) {
		h.renderMembers(w, r, http.StatusUnprocessableEntity, membersState{invite: views.InviteForm{Email: f.Email, Role: f.Role, Errors: errs}})
	}
	if errs := f.Validate(); len(errs) > 0 {
		fail(errs)
		return
	}
	members, err := models.MembersOf(r.Context(), h.DB)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	for _, m := range members {
		if strings.EqualFold(m.Email, f.Email) {
			fail(map[string]string{"email": f.Email + " is already a member of this organization."})
			return
		}
	}
	inv, err := h.Clerk.Invitations.Create(r.Context(), &organizationinvitation.CreateParams{
		OrganizationID: t.OrgID, EmailAddress: clerk.String(f.Email), Role: clerk.String(f.Role),
		InviterUserID: clerk.String(t.UserID), RedirectURL: clerk.String(h.BaseURL.String() + "/orgs"),
	})
	if code, msg, ok := clerkRefusal(err); ok {
		switch code {
		case "duplicate_record":
			msg = "There is already a pending invitation for " + f.Email + "."
		case "already_a_member_in_organization":
			msg = f.Email + " is already a member of this organization."
		}
		fail(map[string]string{"email": msg})
		return
	}
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	err = h.inTenant(r, func(tx *gorm.DB) error {
		return models.RecordAudit(r.Context(), tx, "member.invited", "invitation", inv.ID, fmt.Sprintf("Invited %s as %s", f.Email, roleLabel(f.Role)))
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	h.Sessions.AddFlash(w, r, "success", "Invitation sent to "+f.Email+".")
	http.Redirect(w, r, membersURL(t.Slug), http.StatusSeeOther)
}

// revokeInvitation revokes a pending invitation; revoking one that is no
// longer pending (a double submit) says so instead of failing.
func (h *Handlers) revokeInvitation(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	id := r.PathValue("invitationID")
	if !clerkID.MatchString(id) {
		h.renderError(w, r, models.ErrNotFound)
		return
	}
	inv, err := h.Clerk.Invitations.Revoke(r.Context(), &organizationinvitation.RevokeParams{OrganizationID: t.OrgID, ID: id, RequestingUserID: clerk.String(t.UserID)})
	if status, _, _ := clerkStatus(err); status == http.StatusNotFound || status == http.StatusUnprocessableEntity {
		h.Sessions.AddFlash(w, r, "info", "That invitation is no longer pending: it was already revoked or accepted.")
		http.Redirect(w, r, membersURL(t.Slug), http.StatusSeeOther)
		return
	}
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	err = h.inTenant(r, func(tx *gorm.DB) error {
		return models.RecordAudit(r.Context(), tx, "member.invitation_revoked", "invitation", inv.ID, "Revoked the invitation for "+inv.EmailAddress)
	})
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	h.Sessions.AddFlash(w, r, "success", "Invitation for "+inv.EmailAddress+" revoked.")
	http.Redirect(w, r, membersURL(t.Slug), http.StatusSeeOther)
}

// targetMember loads the member of the URL's {userID} in the tenant.
func (h *Handlers) targetMember(r *http.Request) (*models.Member, error) {
	id := r.PathValue("userID")
	if !clerkID.MatchString(id) {
		return nil, models.ErrNotFound
	}
	return models.MemberOf(r.Context(), h.DB, id)
}

// errLastAdmin refuses a change that would leave the organization without
// an admin.
var errLastAdmin = errors.New("an organization needs an admin")

// adminChange runs change, a role change or removal of the member userID,
// serialized with every other such change of the organization, on every
// instance: in one transaction it takes the organization's admin lock
// (models.LockAdmins), reads the member again under it (ErrNotFound when
// gone), refuses with errLastAdmin when keep is false for the only admin
// (keep: the member stays an admin), and then runs change with the
// transaction and the member as read under the lock. change calls Clerk
// and then writes with syncAndAuditIn, so the check, the Clerk call and the
// local write happen under the lock, and the next change's check sees
// their outcome. The transaction, and its pooled connection, is held
// across the Clerk call: bounded by the request's deadline (requestTimeout)
// and the Clerk client's timeout, and only for these rare admin actions.
// Render the refusal after adminChange returns: the page reads with h.DB.
func (h *Handlers) adminChange(r *http.Request, userID string, keep bool, change func(tx *gorm.DB, m *models.Member) error) error {
	ctx := r.Context()
	t, _ := models.TenantFrom(ctx)
	ran := false
	defer func() {
		if ran {
			h.Directory.Changed() // after the commit: this instance's next request reads it
		}
	}()
	return h.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := models.LockAdmins(ctx, tx); err != nil {
			return err
		}
		m, err := models.MemberOf(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !keep && models.NormalizeRole(m.Role) == models.RoleAdmin {
			n, err := models.CountAdmins(ctx, tx)
			if err != nil {
				return err
			}
			if n <= 1 {
				return errLastAdmin
			}
		}
		if err := stillMayManage(ctx, tx, t); err != nil {
			return err
		}
		ran = true
		return change(tx, m)
	})
}

// stillMayManage re-reads the actor's own membership under the admin lock:
// a mirror request that went first (another admin demoting or removing this
// one) may have taken the right the request was admitted with.
func stillMayManage(ctx context.Context, tx *gorm.DB, t models.Tenant) error {
	refused := &models.PermissionError{Permission: models.PermMembershipsManage}
	actor, err := models.MemberOf(ctx, tx, t.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return refused // removed
	}
	if err != nil {
		return err
	}
	if now := (models.Tenant{Role: actor.Role, Permissions: actor.Permissions}); !now.Can(models.PermMembershipsManage) {
		return refused // demoted
	}
	return nil
}

// updateMemberRole changes a member's role in Clerk, then the local row at
// once from Clerk's answer (the webhook then changes nothing). The last
// admin cannot be demoted (adminChange).
func (h *Handlers) updateMemberRole(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.renderError(w, r, err)
		return
	}
	t, _ := models.TenantFrom(r.Context())
	m, err := h.targetMember(r)
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	name := memberName(m)
	role := r.PostFormValue("role")
	if !validRole(role) {
		h.renderMembers(w, r, http.StatusUnprocessableEntity, membersState{rowErrors: map[string]string{m.UserID: "Choose member or admin."}})
		return
	}
	if models.NormalizeRole(m.Role) == role {
		h.Sessions.AddFlash(w, r, "info", name+" is already "+articleRole(role)+".")
		http.Redirect(w, r, membersURL(t.Slug), http.StatusSeeOther)
		return
	}
	var newRole string
	err = h.adminChange(r, m.UserID, role == models.RoleAdmin, func(tx *gorm.DB, m *models.Member) error {
		cm, err := h.Clerk.Memberships.Update(r.Context(), &organizationmembership.UpdateParams{OrganizationID: t.OrgID, UserID: m.UserID, Role: clerk.String(role)})
		if err != nil {
			return clerkNotFound(err)
		}
		newRole = cm.Role
		perms := models.StringArray(cm.Permissions)
		if len(perms) == 0 {
			perms = nil // the role's defaults
		}
		local := models.Membership{ID: cm.ID, OrganizationID: t.OrgID, UserID: m.UserID, Role: cm.Role, Permissions: perms}
		return h.syncAndAuditIn(r, tx, func(tx *gorm.DB) error {
			_, err := models.ApplyMembership(r.Context(), tx, local, models.Organization{Name: t.Name, Slug: models.NullableText(t.Slug)}, models.User{}, time.UnixMilli(cm.UpdatedAt))
			return err
		}, "member.role_changed", "user", m.UserID, fmt.Sprintf("Changed %s's role from %s to %s", name, roleLabel(m.Role), roleLabel(cm.Role)))
	})
	if errors.Is(err, errLastAdmin) {
		msg := name + " is the only admin. Make another member an admin first: an organization needs at least one."
		h.renderMembers(w, r, http.StatusUnprocessableEntity, membersState{err: msg, rowErrors: map[string]string{m.UserID: msg}})
		return
	}
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	h.Sessions.AddFlash(w, r, "success", name+" is now "+articleRole(newRole)+".")
	http.Redirect(w, r, membersURL(t.Slug), http.StatusSeeOther)
}

// removeMember removes a member in Clerk, then the local row at once. The
// last admin cannot be removed (adminChange); removing someone already gone
// says so.
func (h *Handlers) removeMember(w http.ResponseWriter, r *http.Request) {
	t, _ := models.TenantFrom(r.Context())
	alreadyRemoved := func() {
		h.Sessions.AddFlash(w, r, "info", "That member was already removed.")
		http.Redirect(w, r, membersURL(t.Slug), http.StatusSeeOther)
	}
	m, err := h.targetMember(r)
	if clerkID.MatchString(r.PathValue("userID")) && isNotFound(err) {
		alreadyRemoved()
		return
	}
	if err != nil {
		h.renderError(w, r, err)
		return
	}
	name := memberName(m)
	self := m.UserID == t.UserID
	summary := "Removed " + name
	if self {
		summary = name + " left the organization"
	}
	err = h.adminChange(r, m.UserID, false, func(tx *gorm.DB, m *models.Member) error {
		_, err := h.Clerk.Memberships.Delete(r.Context(), &organizationmembership.DeleteParams{OrganizationID: t.OrgID, UserID: m.UserID})
		if status, _, _ := clerkStatus(err); err != nil && status != http.StatusNotFound {
			return err
		}
		return h.syncAndAuditIn(r, tx, func(tx *gorm.DB) error {
			_, err := models.DeleteMembership(r.Context(), tx, m.MembershipID, t.OrgID, m.UserID)
			return err
		}, "member.removed", "user", m.UserID, summary)
	})
	switch {
	case errors.Is(err, errLastAdmin):
		msg := name + " is the only admin and cannot be removed. Make another member an admin first."
		h.renderMembers(w, r, http.StatusUnprocessableEntity, membersState{err: msg, rowErrors: map[string]string{m.UserID: msg}})
		return
	case isNotFound(err): // removed while this request waited for the lock
		alreadyRemoved()
		return
	case err != nil:
		h.renderError(w, r, err)
		return
	}
	if self {
		h.Sessions.AddFlash(w, r, "success", "You left "+t.Name+".")
		http.Redirect(w, r, "/orgs", http.StatusSeeOther)
		return
	}
	h.Sessions.AddFlash(w, r, "success", name+" was removed from "+t.Name+".")
	http.Redirect(w, r, membersURL(t.Slug), http.StatusSeeOther)
}

// syncAndAudit writes synced rows (as the app's own role: the tenant role
// may only read the synced tables) and then records the audit event as the
// tenant (row-level security on), in one transaction: both or neither.
func (h *Handlers) syncAndAudit(r *http.Request, sync func(tx *gorm.DB) error, action, targetType, targetID, summary string) error {
	defer h.Directory.Changed() // after the commit: this instance's next request reads it
	return h.DB.WithContext(r.Context()).Transaction(func(tx *gorm.DB) error {
		return h.syncAndAuditIn(r, tx, sync, action, targetType, targetID, summary)
	})
}

// syncAndAuditIn is syncAndAudit in the open transaction tx: the audit
// event joins it (models.InTenant), so it commits or rolls back with the
// synced rows, on the same connection.
func (h *Handlers) syncAndAuditIn(r *http.Request, tx *gorm.DB, sync func(tx *gorm.DB) error, action, targetType, targetID, summary string) error {
	ctx := r.Context()
	if err := sync(tx); err != nil {
		return err
	}
	return models.InTenant(ctx, tx, h.DBTenantRole, func(tx *gorm.DB) error {
		return models.RecordAudit(ctx, tx, action, targetType, targetID, summary)
	})
}

func memberName(m *models.Member) string {
	u := models.User{ID: m.UserID, Email: m.Email, FirstName: m.FirstName, LastName: m.LastName}
	return u.DisplayName()
}

// articleRole is "an admin" or "a member".
func articleRole(role string) string {
	l := roleLabel(role)
	if strings.HasPrefix(l, "a") {
		return "an " + l
	}
	return "a " + l
}

// clerkStatus returns the status, first error code and message of a Clerk
// Backend API error response (0 for other errors and nil).
func clerkStatus(err error) (status int, code, msg string) {
	var apiErr *clerk.APIErrorResponse
	if !errors.As(err, &apiErr) {
		return 0, "", ""
	}
	if len(apiErr.Errors) > 0 {
		code, msg = apiErr.Errors[0].Code, apiErr.Errors[0].LongMessage
		if msg == "" {
			msg = apiErr.Errors[0].Message
		}
	}
	return apiErr.HTTPStatusCode, code, msg
}

// clerkRefusal reports whether Clerk refused the input (a 4xx other than
// 401/403/404, which are not the user's input), with its code and message.
func clerkRefusal(err error) (code, msg string, ok bool) {
	status, code, msg := clerkStatus(err)
	switch {
	case status < 400 || status >= 500, status == http.StatusUnauthorized, status == http.StatusForbidden, status == http.StatusNotFound:
		return "", "", false
	case msg == "":
		msg = "Clerk refused this value."
	}
	return code, msg, true
}

// clerkNotFound maps Clerk's 404 to models.ErrNotFound, so the user sees
// the 404 page rather than a 500.
func clerkNotFound(err error) error {
	if status, _, _ := clerkStatus(err); status == http.StatusNotFound {
		return fmt.Errorf("%w: %w", models.ErrNotFound, err)
	}
	return err
}

func isNotFound(err error) bool { return errors.Is(err, models.ErrNotFound) }
