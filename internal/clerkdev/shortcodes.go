package clerkdev

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// Shortcodes of JWT templates, as Clerk's "JWT templates" guide describes them:
//
//   - a claim whose whole string is one shortcode takes the value's own type:
//     "{{user.public_metadata}}" is an object, "{{user.created_at}}" a number;
//   - shortcodes inside a longer string are interpolated, always as a string, null
//     written "null" ("{{user.last_name}} {{user.first_name}}" → "null John");
//   - "{{a || b || 'text' || 30 || true}}" is the first operand that is neither null
//     nor false, else the last one; literals are 'single-quoted' strings, numbers and
//     booleans;
//   - dot notation reads into metadata ("{{user.public_metadata.profile.interests}}");
//   - an unknown shortcode is null. Nested objects and arrays of the claims are filled
//     in too.
//
// The emulator knows this subset of Clerk's shortcodes:
//
//	user.id, user.external_id, user.first_name, user.last_name, user.full_name,
//	user.username, user.primary_email_address, user.email_verified,
//	user.primary_phone_address, user.phone_number_verified, user.image_url,
//	user.profile_image_url, user.has_image, user.two_factor_enabled,
//	user.public_metadata, user.unsafe_metadata, user.created_at, user.updated_at
//	(unix seconds), user.organizations (organization id → role),
//	org.id, org.name, org.slug, org.image_url, org.role, org.membership_permissions,
//	org.public_metadata (the session's active organization; null without one),
//	org_membership.public_metadata, session.actor (always null: no impersonation).

var shortcodePattern = regexp.MustCompile(`\{\{(.*?)\}\}`)

// shortcodeScopeLocked returns the values the shortcodes of sess's tokens read.
func (s *Server) shortcodeScopeLocked(sess *session) map[string]any {
	scope := map[string]any{"user": nil, "org": nil, "org_membership": nil, "session": map[string]any{"actor": nil}}
	u := s.users[sess.UserID]
	if u == nil {
		return scope
	}
	scope["user"] = s.userScopeLocked(u)
	if o := s.orgs[sess.ActiveOrgID]; o != nil {
		if m := s.membershipLocked(o.ID, u.ID); m != nil {
			scope["org"] = map[string]any{"id": o.ID, "name": o.Name, "slug": o.Slug,
				"image_url": s.imageURLLocked(o.ID), "role": m.Role,
				"membership_permissions": s.rolePermissionsLocked(m.Role), "public_metadata": metadataValue(o.PublicMetadata)}
			scope["org_membership"] = map[string]any{"public_metadata": metadataValue(m.PublicMetadata)}
		}
	}
	return scope
}

func (s *Server) userScopeLocked(u *user) map[string]any {
	orgs := map[string]any{}
	for _, m := range s.memberships {
		if m.UserID == u.ID {
			orgs[m.OrgID] = m.Role
		}
	}
	img := s.imageURLLocked(u.ID)
	return map[string]any{
		"id": u.ID, "external_id": nullable(derefStr(u.ExternalID)),
		"first_name": nullable(derefStr(u.FirstName)), "last_name": nullable(derefStr(u.LastName)),
		"full_name": nullable(strings.TrimSpace(derefStr(u.FirstName) + " " + derefStr(u.LastName))),
		"username":  nullable(derefStr(u.Username)), "primary_email_address": nullable(u.primaryEmail()),
		"email_verified": len(u.Emails) > 0, "primary_phone_address": nil, "phone_number_verified": false,
		"image_url": img, "profile_image_url": img, "has_image": false, "two_factor_enabled": false,
		"public_metadata": metadataValue(u.PublicMetadata), "unsafe_metadata": metadataValue(u.UnsafeMetadata),
		"created_at": u.CreatedAt / 1000, "updated_at": u.UpdatedAt / 1000, "organizations": orgs,
	}
}

// nullable is nil for "", as Clerk's absent strings are null.
func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// metadataValue decodes stored metadata for a token ({} when unset or unreadable).
func metadataValue(raw json.RawMessage) any {
	m, err := decodeObject(raw)
	if err != nil {
		return map[string]any{}
	}
	return m
}

// renderClaims fills in the shortcodes of a template's claims.
func renderClaims(raw json.RawMessage, scope map[string]any) (map[string]any, error) {
	claims, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	for k, v := range claims {
		claims[k] = renderValue(v, scope)
	}
	return claims, nil
}

func renderValue(v any, scope map[string]any) any {
	switch x := v.(type) {
	case string:
		return renderString(x, scope)
	case map[string]any:
		for k, e := range x {
			x[k] = renderValue(e, scope)
		}
	case []any:
		for i, e := range x {
			x[i] = renderValue(e, scope)
		}
	}
	return v
}

func renderString(s string, scope map[string]any) any {
	trimmed := strings.TrimSpace(s)
	if m := shortcodePattern.FindStringSubmatchIndex(trimmed); m != nil && m[0] == 0 && m[1] == len(trimmed) {
		return evalShortcode(trimmed[m[2]:m[3]], scope)
	}
	return shortcodePattern.ReplaceAllStringFunc(s, func(code string) string {
		return interpolated(evalShortcode(code[2:len(code)-2], scope))
	})
}

// evalShortcode evaluates "a || b || …": the first operand neither null nor false, else the last.
func evalShortcode(expr string, scope map[string]any) any {
	var v any
	for _, op := range strings.Split(expr, "||") {
		v = operand(strings.TrimSpace(op), scope)
		if v != nil && v != false {
			return v
		}
	}
	return v
}

// operand is a literal ('text', a number, true, false) or a dotted path into scope.
func operand(op string, scope map[string]any) any {
	switch {
	case len(op) >= 2 && op[0] == '\'' && op[len(op)-1] == '\'':
		return op[1 : len(op)-1]
	case op == "true" || op == "false":
		return op == "true"
	}
	if _, err := strconv.ParseFloat(op, 64); err == nil {
		return json.Number(op)
	}
	var cur any = scope
	for _, key := range strings.Split(op, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[key]
	}
	return cur
}

// interpolated writes a shortcode's value into a string.
func interpolated(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}
