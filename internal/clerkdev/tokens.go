package clerkdev

import (
	"strconv"
	"strings"
	"time"
)

// Roles of the emulated instance.
const (
	RoleAdmin  = "org:admin"
	RoleMember = "org:member"
)

// allPermissions lists every organization permission of the instance, in a fixed order
// that also fixes the order of `fea` and `o.per` in session tokens.
func allPermissions() []string {
	return []string{
		"org:sys_profile:manage", "org:sys_profile:delete",
		"org:sys_memberships:read", "org:sys_memberships:manage",
		"org:sys_domains:read", "org:sys_domains:manage",
		"org:projects:read", "org:projects:manage",
	}
}

// RolePermissions returns the permissions of a role, nil for an unknown role.
func RolePermissions(role string) []string {
	switch role {
	case RoleAdmin:
		return allPermissions()
	case RoleMember:
		return []string{"org:sys_memberships:read", "org:projects:read", "org:projects:manage"}
	}
	return nil
}

func roleName(role string) string {
	switch role {
	case RoleAdmin:
		return "Admin"
	case RoleMember:
		return "Member"
	}
	return role
}

// normalizeRole accepts "admin"/"member" and the "org:" forms; "" when unknown.
func normalizeRole(role string) string {
	if !strings.HasPrefix(role, "org:") {
		role = "org:" + role
	}
	if RolePermissions(role) == nil {
		return ""
	}
	return role
}

// encodePermissions encodes a role's permissions the way Clerk's v2 session token does and
// clerk-sdk-go decodes them: `fea` lists the organization features ("o:<feature>"), `per`
// the distinct permission names, and `fpm` one bit mask per feature, where bit j grants
// the j-th name of `per` (see jwt.extractOrganizationPermissions).
func encodePermissions(granted []string) (fea, per, fpm string) {
	var features, actions []string
	featureIdx, actionIdx := map[string]int{}, map[string]int{}
	for _, p := range allPermissions() {
		parts := strings.SplitN(strings.TrimPrefix(p, "org:"), ":", 2)
		if _, ok := featureIdx[parts[0]]; !ok {
			featureIdx[parts[0]] = len(features)
			features = append(features, parts[0])
		}
		if _, ok := actionIdx[parts[1]]; !ok {
			actionIdx[parts[1]] = len(actions)
			actions = append(actions, parts[1])
		}
	}
	masks := make([]int, len(features))
	for _, p := range granted {
		parts := strings.SplitN(strings.TrimPrefix(p, "org:"), ":", 2)
		if len(parts) != 2 {
			continue
		}
		fi, ok1 := featureIdx[parts[0]]
		ai, ok2 := actionIdx[parts[1]]
		if ok1 && ok2 {
			masks[fi] |= 1 << ai
		}
	}
	feaParts := make([]string, len(features))
	fpmParts := make([]string, len(features))
	for i, f := range features {
		feaParts[i] = "o:" + f
		fpmParts[i] = strconv.Itoa(masks[i])
	}
	return strings.Join(feaParts, ","), strings.Join(actions, ","), strings.Join(fpmParts, ",")
}

type orgClaims struct {
	ID  string `json:"id"`
	Slg string `json:"slg"`
	Rol string `json:"rol"`
	Per string `json:"per"`
	Fpm string `json:"fpm"`
}

// sessionClaims are the claims of a v2 session token.
type sessionClaims struct {
	Azp string     `json:"azp,omitempty"`
	Exp int64      `json:"exp"`
	Fea string     `json:"fea,omitempty"`
	Fva [2]int64   `json:"fva"`
	Iat int64      `json:"iat"`
	Iss string     `json:"iss"`
	Jti string     `json:"jti"`
	Nbf int64      `json:"nbf"`
	O   *orgClaims `json:"o,omitempty"`
	Sid string     `json:"sid"`
	Sts string     `json:"sts"`
	Sub string     `json:"sub"`
	V   int        `json:"v"`
}

// mintLocked returns a session token for an active session. iat is never earlier than
// the client's __client_uat, so the SDK's "iat before client_uat" check passes.
func (s *Server) mintLocked(sess *session, azp string, ttl time.Duration) (string, int64, error) {
	if ttl <= 0 {
		ttl = 60 * time.Second
	}
	now := s.now()
	iat := now.Unix()
	if c := s.clients[sess.ClientID]; c != nil && c.UpdatedAt > iat {
		iat = c.UpdatedAt
	}
	claims := sessionClaims{
		Azp: azp,
		Exp: iat + int64(ttl/time.Second),
		Fva: [2]int64{max(0, (iat-sess.SignedInAtSec)/60), -1},
		Iat: iat,
		Iss: s.baseURL,
		Jti: randomString(20),
		Nbf: iat - 10,
		Sid: sess.ID,
		Sts: "active",
		Sub: sess.UserID,
		V:   2,
	}
	if o := s.orgs[sess.ActiveOrgID]; o != nil {
		if m := s.membershipLocked(o.ID, sess.UserID); m != nil {
			fea, per, fpm := encodePermissions(RolePermissions(m.Role))
			claims.Fea = fea
			claims.O = &orgClaims{ID: o.ID, Slg: o.Slug, Rol: strings.TrimPrefix(m.Role, "org:"), Per: per, Fpm: fpm}
		}
	}
	tok, err := s.signJWTLocked(claims)
	if err != nil {
		return "", 0, err
	}
	sess.LastActiveAt = now.UnixMilli()
	return tok, iat, nil
}
