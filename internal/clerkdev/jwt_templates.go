package clerkdev

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// JWT templates are declared in the seed file (as in the Clerk Dashboard's "JWT
// templates" page; a fresh Clerk instance, like the built-in seed, has none). The
// Backend API lists them and mints their tokens:
//
//	GET  /v1/jwt_templates          bare array, or {data,total_count} with paginated=true
//	GET  /v1/jwt_templates/{id}
//	POST /v1/sessions/{id}/tokens/{template_name}   {"object":"token","jwt":…}
//
// A template token carries the template's claims with their shortcodes filled in (see
// shortcodes.go) and Clerk's default claims for custom JWTs: azp (when the session has
// one), exp (iat + lifetime, or + expires_in_seconds when the request gives it), iat,
// iss, jti, nbf (iat − allowed clock skew) and sub. It has no sid: it is not a session
// token. It is signed with the instance key like session tokens, and its JOSE header
// carries Clerk's JWT-template category, so @clerk/backend refuses it where a session
// token is expected, as it refuses Clerk's. An unknown template name is Clerk's 404.

const (
	defaultTemplateLifetime  = 60 // seconds
	defaultTemplateClockSkew = 5  // seconds
	minTokenLifetime         = 30
	maxTokenLifetime         = 315360000
	maxTemplateClockSkew     = 300
	// jwtCategoryTemplate is the "cat" header Clerk stamps on JWT-template tokens.
	jwtCategoryTemplate = "cl_B7d4PD222AAA"
)

// SeedJWTTemplate is a JWT template of the seed.
type SeedJWTTemplate struct {
	// Name is the template_name of the token route; unique.
	Name string `json:"name"`
	// Lifetime is the tokens' lifetime in seconds (30..315360000); 0 means 60.
	Lifetime int64 `json:"lifetime,omitempty"`
	// AllowedClockSkew is how far nbf is before iat, in seconds (0..300); nil means 5.
	AllowedClockSkew *int64 `json:"allowed_clock_skew,omitempty"`
	// Claims is a JSON object; its string values may hold shortcodes ("{{user.id}}").
	// Clerk's default claims (azp, exp, iat, iss, jti, nbf, sub) are reserved.
	Claims json.RawMessage `json:"claims"`
}

// jwtTemplate is a loaded template, guarded by Server.mu.
type jwtTemplate struct {
	ID        string
	Name      string
	Claims    json.RawMessage
	Lifetime  int64
	ClockSkew int64
	CreatedAt int64
}

// jwtTemplateJSON is Clerk's jwt_template object.
type jwtTemplateJSON struct {
	Object           string          `json:"object"`
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	Claims           json.RawMessage `json:"claims"`
	Lifetime         int64           `json:"lifetime"`
	AllowedClockSkew int64           `json:"allowed_clock_skew"`
	CustomSigningKey bool            `json:"custom_signing_key"`
	SigningAlgorithm string          `json:"signing_algorithm"`
	CreatedAt        int64           `json:"created_at"`
	UpdatedAt        int64           `json:"updated_at"`
}

func jwtTemplateJSONOf(t *jwtTemplate) jwtTemplateJSON {
	return jwtTemplateJSON{Object: "jwt_template", ID: t.ID, Name: t.Name, Claims: t.Claims,
		Lifetime: t.Lifetime, AllowedClockSkew: t.ClockSkew, SigningAlgorithm: "RS256",
		CreatedAt: t.CreatedAt, UpdatedAt: t.CreatedAt}
}

// reservedClaims are the default claims a template cannot set.
func reservedClaims() []string {
	return []string{"azp", "exp", "iat", "iss", "jti", "nbf", "sub"}
}

// newJWTTemplate checks a seed template and applies the defaults.
func newJWTTemplate(st SeedJWTTemplate) (*jwtTemplate, error) {
	if st.Name == "" {
		return nil, errors.New("missing name")
	}
	t := &jwtTemplate{ID: seedID("jtmp", st.Name), Name: st.Name, Claims: st.Claims,
		Lifetime: st.Lifetime, ClockSkew: defaultTemplateClockSkew}
	if t.Lifetime == 0 {
		t.Lifetime = defaultTemplateLifetime
	}
	if t.Lifetime < minTokenLifetime || t.Lifetime > maxTokenLifetime {
		return nil, fmt.Errorf("lifetime %d is not between %d and %d seconds", t.Lifetime, minTokenLifetime, maxTokenLifetime)
	}
	if st.AllowedClockSkew != nil {
		t.ClockSkew = *st.AllowedClockSkew
	}
	if t.ClockSkew < 0 || t.ClockSkew > maxTemplateClockSkew {
		return nil, fmt.Errorf("allowed_clock_skew %d is not between 0 and %d seconds", t.ClockSkew, maxTemplateClockSkew)
	}
	if len(st.Claims) == 0 || (metadataInput{Public: st.Claims}).check() != nil {
		return nil, errors.New("claims must be a JSON object")
	}
	claims, err := decodeObject(st.Claims)
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	for _, c := range reservedClaims() {
		if _, ok := claims[c]; ok {
			return nil, fmt.Errorf("you can't use the reserved claim: '%s'", c)
		}
	}
	return t, nil
}

// loadJWTTemplatesLocked replaces the instance's templates with the seed's.
func (s *Server) loadJWTTemplatesLocked(seeds []SeedJWTTemplate) error {
	s.jwtTemplates = map[string]*jwtTemplate{}
	for _, st := range seeds {
		t, err := newJWTTemplate(st)
		if err == nil && s.jwtTemplates[t.Name] != nil {
			err = errors.New("duplicate name")
		}
		if err != nil {
			return fmt.Errorf("clerkdev: seed jwt template %q: %w", st.Name, err)
		}
		t.CreatedAt = s.stampLocked()
		s.jwtTemplates[t.Name] = t
	}
	return nil
}

// listJWTTemplates answers GET /v1/jwt_templates, oldest first.
func (s *Server) listJWTTemplates(w http.ResponseWriter, r *http.Request) {
	limit, offset, e := page(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]*jwtTemplate, 0, len(s.jwtTemplates))
	for _, t := range s.jwtTemplates {
		all = append(all, t)
	}
	slices.SortFunc(all, func(a, b *jwtTemplate) int { return int(a.CreatedAt - b.CreatedAt) })
	writeList(w, r, pageOf(all, limit, offset, jwtTemplateJSONOf), len(all))
}

// getJWTTemplate answers GET /v1/jwt_templates/{id}.
func (s *Server) getJWTTemplate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.jwtTemplates {
		if t.ID == id {
			writeJSON(w, http.StatusOK, jwtTemplateJSONOf(t))
			return
		}
	}
	writeAPIError(w, errJWTTemplateNotFound("id", id))
}

// createTemplateToken answers POST /v1/sessions/{id}/tokens/{template}.
func (s *Server) createTemplateToken(w http.ResponseWriter, r *http.Request) {
	s.tokenRequest(w, r, 0, func(sess *session, lifetime int64) {
		s.mintTemplateTokenLocked(w, r, sess, lifetime)
	})
}

// tokenRequest reads a token request's lifetime (def when none is asked for) and its
// session, and calls mint with both under the lock; it answers a refused request itself.
func (s *Server) tokenRequest(w http.ResponseWriter, r *http.Request, def int64, mint func(sess *session, lifetime int64)) {
	lifetime, e := tokenLifetimeParam(r, def)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, e := s.tokenSessionLocked(r.PathValue("id"))
	if e != nil {
		writeAPIError(w, e)
		return
	}
	mint(sess, lifetime)
}

// mintTemplateTokenLocked answers with a token of the request's {template} for sess.
func (s *Server) mintTemplateTokenLocked(w http.ResponseWriter, r *http.Request, sess *session, lifetime int64) {
	t := s.jwtTemplates[r.PathValue("template")]
	if t == nil {
		writeAPIError(w, errJWTTemplateNotFound("name", r.PathValue("template")))
		return
	}
	if lifetime == 0 {
		lifetime = t.Lifetime
	}
	tok, err := s.mintTemplateLocked(t, sess, lifetime)
	writeToken(w, tok, err)
}

// mintTemplateLocked signs a token of template t for the session's user.
func (s *Server) mintTemplateLocked(t *jwtTemplate, sess *session, lifetime int64) (string, error) {
	claims, err := renderClaims(t.Claims, s.shortcodeScopeLocked(sess))
	if err != nil {
		return "", fmt.Errorf("clerkdev: jwt template %s: %w", t.Name, err)
	}
	iat := s.now().Unix()
	claims["iat"], claims["exp"], claims["nbf"] = iat, iat+lifetime, iat-t.ClockSkew
	claims["iss"], claims["sub"], claims["jti"] = s.baseURL, sess.UserID, randomString(20)
	if sess.Azp != "" {
		claims["azp"] = sess.Azp
	}
	return s.signJWTCategoryLocked(claims, jwtCategoryTemplate)
}

// tokenLifetimeParam reads the optional expires_in_seconds (30..315360000) of the token
// routes; def when the body has none.
func tokenLifetimeParam(r *http.Request, def int64) (int64, *apiError) {
	var in struct {
		ExpiresInSeconds *int64 `json:"expires_in_seconds"`
	}
	if e := decodeBody(r, &in); e != nil {
		return 0, e
	}
	if in.ExpiresInSeconds == nil {
		return def, nil
	}
	if v := *in.ExpiresInSeconds; v < minTokenLifetime || v > maxTokenLifetime {
		return 0, errParamValueInvalid("expires_in_seconds",
			fmt.Sprintf("expires_in_seconds must be between %d and %d.", minTokenLifetime, maxTokenLifetime))
	}
	return *in.ExpiresInSeconds, nil
}

// tokenSessionLocked finds the session a token route names; only an active one mints.
func (s *Server) tokenSessionLocked(id string) (*session, *apiError) {
	sess := s.sessions[id]
	if sess == nil {
		return nil, errSessionNotFound(id)
	}
	if sess.Status != "active" {
		return nil, newAPIError(http.StatusNotFound, "resource_not_found", "Session not found",
			"No active session found for "+sess.ID+" (status "+sess.Status+").")
	}
	return sess, nil
}

// writeToken answers a token route with Clerk's {"object":"token","jwt":…}.
func writeToken(w http.ResponseWriter, jwt string, err error) {
	if err != nil {
		writeAPIError(w, errInternal(err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"object": "token", "jwt": jwt})
}
