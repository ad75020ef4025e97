package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/session"
)

// NewSession creates a session of userID with orgID active ("" for none)
// through the emulator's Backend API, as a sign-in would, and returns its
// id. active_organization_id is the emulator's extension of
// POST /v1/sessions.
func (e *Emulator) NewSession(ctx context.Context, userID, orgID string) (string, error) {
	fields := map[string]string{"user_id": userID}
	if orgID != "" {
		fields["active_organization_id"] = orgID
	}
	body, err := json.Marshal(fields)
	if err != nil {
		return "", fmt.Errorf("create a session for %s: %w", userID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.BaseURL()+"/v1/sessions", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("create a session for %s: %w", userID, err)
	}
	req.Header.Set("Authorization", "Bearer "+e.SecretKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("create a session for %s: %w", userID, err)
	}
	defer resp.Body.Close()
	var sess struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&sess); err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("create a session for %s: %d %v", userID, resp.StatusCode, err)
	}
	return sess.ID, nil
}

// SessionToken issues a session token of sessionID valid for ttl, as
// Clerk's front-end SDKs fetch one.
func (e *Emulator) SessionToken(ctx context.Context, sessionID string, ttl time.Duration) (string, error) {
	client := session.NewClient(&clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		Key:        clerk.String(e.SecretKey()),
		URL:        clerk.String(e.BaseURL() + "/v1"),
		HTTPClient: e.client,
	}})
	tok, err := client.CreateToken(ctx, &session.CreateTokenParams{ID: sessionID, ExpiresInSeconds: clerk.Int64(int64(ttl / time.Second))})
	if err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	return tok.JWT, nil
}
