package clerkauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-jose/go-jose/v3"
	josejwt "github.com/go-jose/go-jose/v3/jwt"
)

// Cookie and query names of Clerk's protocol.
const (
	CookieSession       = "__session"
	CookieClientUAT     = "__client_uat"
	CookieDevBrowser    = "__clerk_db_jwt"
	ParamDevBrowser     = "__clerk_db_jwt"
	ParamHandshake      = "__clerk_handshake"
	ParamHandshakeNonce = "__clerk_handshake_nonce"
	// ParamTicket and ParamTicketStatus are what Clerk appends to an organization
	// invitation's redirect_url: the invitation's ticket, and sign_up, sign_in or
	// complete (accepted already: no ticket to use).
	ParamTicket         = "__clerk_ticket"
	ParamTicketStatus   = "__clerk_status"
	CookieRedirectCount = "__clerk_redirect_count"
	// APIVersion is the Backend API version the handshake announces.
	APIVersion = "2025-04-10"
)

// MaxHandshakeRedirects bounds handshake loops, as Clerk's SDKs do.
const MaxHandshakeRedirects = 3

// HandshakeURL builds the Frontend API handshake redirect for returnURL,
// in the parameter order of Clerk's SDKs. devBrowser is sent on development
// instances; reason is for observability.
func HandshakeURL(fapi, returnURL, reason, devBrowser string) string {
	q := []string{
		"redirect_url=" + url.QueryEscape(StripProtocolParams(returnURL)),
		"__clerk_api_version=" + APIVersion,
		"suffixed_cookies=false",
		"__clerk_hs_reason=" + url.QueryEscape(reason),
		"format=nonce",
	}
	if devBrowser != "" {
		q = append(q, ParamDevBrowser+"="+url.QueryEscape(devBrowser))
	}
	return strings.TrimRight(fapi, "/") + "/v1/client/handshake?" + strings.Join(q, "&")
}

// StripProtocolParams removes the protocol's query parameters from a URL, so
// a reloaded page or a return URL never carries a token.
func StripProtocolParams(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for _, p := range []string{ParamDevBrowser, "__dev_session", ParamHandshake, ParamHandshakeNonce, "__clerk_help", "__clerk_synced", "__clerk_redirect_url"} {
		q.Del(p)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// ErrBadHandshake means a handshake payload failed verification.
var ErrBadHandshake = errors.New("invalid handshake payload")

// ParseHandshake verifies a handshake JWT with the instance's keys and returns
// its Set-Cookie directives. As in Clerk's SDKs there is no exp, iss or azp
// check: the payload is only cookies for the browser, and the session token
// inside is verified on its own.
func ParseHandshake(ctx context.Context, keys *JWKSCache, token string) ([]string, error) {
	parsed, err := josejwt.ParseSigned(token)
	if err != nil || len(parsed.Headers) != 1 {
		return nil, ErrBadHandshake
	}
	h := parsed.Headers[0]
	switch h.Algorithm {
	case string(jose.RS256), string(jose.RS384), string(jose.RS512):
	default:
		return nil, fmt.Errorf("%w: algorithm %q", ErrBadHandshake, h.Algorithm)
	}
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "" && typ != "JWT" {
		return nil, fmt.Errorf("%w: typ %q", ErrBadHandshake, typ)
	}
	key, err := keys.Key(ctx, h.KeyID)
	if err != nil {
		return nil, err
	}
	var payload struct {
		Handshake []string `json:"handshake"`
	}
	if err := parsed.Claims(key.Key, &payload); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHandshake, err)
	}
	return payload.Handshake, nil
}

// SessionFromDirectives returns the value of the last __session cookie the
// directives set ("" when they sign the browser out).
func SessionFromDirectives(directives []string) string {
	var token string
	for _, d := range directives {
		c, err := http.ParseSetCookie(d)
		if err != nil {
			continue
		}
		if c.Name == CookieSession {
			token = c.Value
			if c.MaxAge < 0 {
				token = ""
			}
		}
	}
	return token
}
