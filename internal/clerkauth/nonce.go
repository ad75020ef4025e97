package clerkauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// RedeemNonce trades a handshake nonce for its directives at the Backend API
// (GET /v1/clients/handshake_payload). clerk-sdk-go has no call for it, so
// it is a plain request with the secret key; it happens only on the return
// from a handshake, never on the hot path.
func RedeemNonce(ctx context.Context, client *http.Client, apiURL, secretKey, nonce string) ([]string, error) {
	u := strings.TrimRight(apiURL, "/") + "/clients/handshake_payload?nonce=" + url.QueryEscape(nonce)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+secretKey)
	req.Header.Set("Clerk-API-Version", APIVersion)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("redeem handshake nonce: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, fmt.Errorf("redeem handshake nonce: status %d", resp.StatusCode)
	}
	var body struct {
		Directives []string `json:"directives"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("redeem handshake nonce: %w", err)
	}
	return body.Directives, nil
}
