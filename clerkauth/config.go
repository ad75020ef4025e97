package clerkauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
)

// Config is what a service knows of its Clerk instance. The keys come from
// Fetch, else the Backend API (SecretKey), else JWKSURL, else the Frontend
// API's public /.well-known/jwks.json: a service that only verifies tokens
// needs no secret key.
type Config struct {
	// FrontendAPIURL is the instance's Frontend API (CLERK_FRONTEND_API_URL).
	// Unless it is Clerk's own (https://clerk.… or ….clerk.accounts…), it is
	// the exact issuer tokens must have (Clerk's proxy, the emulator).
	FrontendAPIURL string
	// SecretKey and APIURL (default https://api.clerk.com/v1) load the
	// keys from the Backend API, as the app does.
	SecretKey string
	APIURL    string
	// JWKSURL is a public key set to load instead.
	JWKSURL string
	// Fetch, when set, loads the keys instead of any URL.
	Fetch FetchJWKS
	// AuthorizedParties are the origins accepted in a token's azp.
	AuthorizedParties []string
	// HTTPClient fetches the keys (default: a 10 s timeout).
	HTTPClient *http.Client
}

// NewVerifier returns a Verifier for cfg with its own JWKS cache.
func NewVerifier(cfg Config) (*Verifier, error) {
	fetch, err := cfg.fetcher()
	if err != nil {
		return nil, err
	}
	v := &Verifier{Keys: NewJWKSCache(fetch), AuthorizedParties: cfg.AuthorizedParties}
	// An overridden Frontend API (Clerk's proxy, or the emulator) is the
	// exact issuer; otherwise clerk-sdk-go checks Clerk's own issuer forms.
	if cfg.FrontendAPIURL != "" && !IsClerkHosted(cfg.FrontendAPIURL) {
		v.ProxyURL = strings.TrimRight(cfg.FrontendAPIURL, "/")
	}
	return v, nil
}

// IsClerkHosted reports whether a Frontend API URL is Clerk's own.
func IsClerkHosted(fapi string) bool {
	return strings.HasPrefix(fapi, "https://clerk.") || strings.Contains(fapi, ".clerk.accounts")
}

func (cfg Config) fetcher() (FetchJWKS, error) {
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	switch {
	case cfg.Fetch != nil:
		return cfg.Fetch, nil
	case cfg.SecretKey != "":
		return backendJWKS(cfg.SecretKey, cfg.APIURL, client), nil
	case cfg.JWKSURL != "":
		return publicJWKS(cfg.JWKSURL, client), nil
	case cfg.FrontendAPIURL != "":
		return publicJWKS(strings.TrimRight(cfg.FrontendAPIURL, "/")+"/.well-known/jwks.json", client), nil
	}
	return nil, errors.New("clerkauth: no key source: set FrontendAPIURL, SecretKey, JWKSURL or Fetch")
}

func backendJWKS(secretKey, apiURL string, client *http.Client) FetchJWKS {
	if apiURL == "" {
		apiURL = "https://api.clerk.com/v1"
	}
	c := jwks.NewClient(&clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		Key: clerk.String(secretKey), URL: clerk.String(strings.TrimRight(apiURL, "/")), HTTPClient: client,
	}})
	return func(ctx context.Context) (*clerk.JSONWebKeySet, error) {
		return c.Get(ctx, &jwks.GetParams{})
	}
}

func publicJWKS(url string, client *http.Client) FetchJWKS {
	return func(ctx context.Context) (*clerk.JSONWebKeySet, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, fmt.Errorf("JWKS request: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetch JWKS: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("fetch JWKS: %s answered %d", url, resp.StatusCode)
		}
		var set clerk.JSONWebKeySet
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
			return nil, fmt.Errorf("decode JWKS: %w", err)
		}
		return &set, nil
	}
}
