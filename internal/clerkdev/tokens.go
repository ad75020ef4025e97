package clerkdev

import (
	"math/big"
	"slices"
	"strings"
	"time"
)

// encodePermissions encodes granted permissions the way Clerk's v2 session token does
// (and clerk-sdk-go and @clerk/shared decode them). Only custom permissions are encoded:
// Clerk leaves system permissions (org:sys_*) out of session tokens on purpose, so
// has({permission: "org:sys_..."}) on a token is always false. `fea` lists the features
// of the granted permissions ("o:<feature>"), `per` their distinct action names and `fpm`
// one bit mask per feature of `fea`, where bit j (least significant first) grants the
// j-th name of `per`. Features and names are sorted, as in Clerk's documented example:
// dashboard:read, dashboard:manage and teams:read give fea "o:dashboard,o:teams", per
// "manage,read" and fpm "3,2". All three are "" without custom permissions.
func encodePermissions(granted []string) (fea, per, fpm string) {
	var features, actions []string
	for _, p := range granted {
		feature, action, ok := splitCustomPermission(p)
		if ok {
			features = append(features, feature)
			actions = append(actions, action)
		}
	}
	slices.Sort(features)
	slices.Sort(actions)
	features, actions = slices.Compact(features), slices.Compact(actions)
	masks := make([]big.Int, len(features)) // big: an instance may have more than 63 action names
	for _, p := range granted {
		if feature, action, ok := splitCustomPermission(p); ok {
			fi, _ := slices.BinarySearch(features, feature)
			ai, _ := slices.BinarySearch(actions, action)
			masks[fi].SetBit(&masks[fi], ai, 1)
		}
	}
	feaParts := make([]string, len(features))
	fpmParts := make([]string, len(features))
	for i, f := range features {
		feaParts[i] = "o:" + f
		fpmParts[i] = masks[i].String()
	}
	return strings.Join(feaParts, ","), strings.Join(actions, ","), strings.Join(fpmParts, ",")
}

// splitCustomPermission splits a custom permission "org:<feature>:<action>"; ok is false
// for a system permission (org:sys_*) and for anything else.
func splitCustomPermission(key string) (feature, action string, ok bool) {
	rest, found := strings.CutPrefix(key, "org:")
	if !found || strings.HasPrefix(rest, "sys_") {
		return "", "", false
	}
	feature, action, ok = strings.Cut(rest, ":")
	return feature, action, ok && feature != "" && action != ""
}

type orgClaims struct {
	ID  string `json:"id"`
	Slg string `json:"slg"`
	Rol string `json:"rol"`
	Per string `json:"per,omitempty"`
	Fpm string `json:"fpm,omitempty"`
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
			fea, per, fpm := encodePermissions(s.rolePermissionsLocked(m.Role))
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
