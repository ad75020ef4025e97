package clerkdev

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
)

type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

type jwkJSON struct {
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Kty string `json:"kty"`
	N   string `json:"n"`
	E   string `json:"e"`
}

type jwksJSON struct {
	Keys []jwkJSON `json:"keys"`
}

// addKey adds a signing key (generating one when priv is nil) and makes it current.
func (s *Server) addKey(priv *rsa.PrivateKey) error {
	if priv == nil {
		var err error
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return fmt.Errorf("clerkdev: generate signing key: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keySerial++
	k := &signingKey{kid: fmt.Sprintf("%s_%d", InstanceID, s.keySerial), priv: priv}
	s.keys = append(s.keys, k)
	s.currentKid = k.kid
	return nil
}

// RotateKey adds a new signing key and signs with it from now on. The old keys stay in
// the JWKS until RetireKey removes them.
func (s *Server) RotateKey() (string, error) {
	if err := s.addKey(nil); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.currentKid, nil
}

// RetireKey removes a key from the JWKS. Retiring the current key makes the newest
// remaining key current; the last key cannot be retired.
func (s *Server) RetireKey(kid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) <= 1 {
		s.log.Warn("clerkdev: not retiring the only signing key", "kid", kid)
		return
	}
	kept := s.keys[:0]
	for _, k := range s.keys {
		if k.kid != kid {
			kept = append(kept, k)
		}
	}
	s.keys = kept
	if s.currentKid == kid {
		s.currentKid = s.keys[len(s.keys)-1].kid
	}
}

func (s *Server) currentKeyLocked() *signingKey {
	for _, k := range s.keys {
		if k.kid == s.currentKid {
			return k
		}
	}
	return s.keys[len(s.keys)-1]
}

func (s *Server) jwks() jwksJSON {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := jwksJSON{Keys: []jwkJSON{}}
	for _, k := range s.keys {
		pub := k.priv.PublicKey
		out.Keys = append(out.Keys, jwkJSON{
			Kid: k.kid, Alg: "RS256", Use: "sig", Kty: "RSA",
			N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		})
	}
	return out
}

// getJWKS serves both BAPI GET /v1/jwks and the public /.well-known/jwks.json.
func (s *Server) getJWKS(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.jwks())
}

// signJWTLocked signs claims with RS256 and the current key; header {alg, kid, typ}.
func (s *Server) signJWTLocked(claims any) (string, error) {
	return s.signJWTCategoryLocked(claims, "")
}

// signJWTCategoryLocked is signJWTLocked with Clerk's token-category header "cat" when
// cat is set (such as jwtCategoryTemplate), which tells one class of instance JWT from another.
func (s *Server) signJWTCategoryLocked(claims any, cat string) (string, error) {
	k := s.currentKeyLocked()
	h := map[string]string{"alg": "RS256", "kid": k.kid, "typ": "JWT"}
	if cat != "" {
		h["cat"] = cat
	}
	header, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signing := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("clerkdev: sign: %w", err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// publishableKey encodes the host of baseURL as Clerk does: "pk_test_" + base64("host$"),
// without padding (as Clerk's own keys are written).
func publishableKey(baseURL string) string {
	host := baseURL
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		host = u.Host
	}
	return "pk_test_" + base64.RawStdEncoding.EncodeToString([]byte(host+"$"))
}

// CookieSuffix returns the suffix Clerk appends to cookie names for a publishable key:
// the first 8 characters of base64url(SHA-1(key)).
func CookieSuffix(publishableKey string) string {
	sum := sha1.Sum([]byte(publishableKey))
	return base64.URLEncoding.EncodeToString(sum[:])[:8]
}
