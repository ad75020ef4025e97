package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/saas/api/client"
	"example.com/saas/clerkauth"
	"example.com/saas/gatewayauth"
	"example.com/saas/internal/apptest"
	"example.com/saas/internal/gateway"
	"example.com/saas/models"
)

// The whole second architecture, in process: a Clerk session token (from
// the emulator) reaches this service only through cmd/gateway's handler,
// which verifies it once and signs the identity; the service reads the
// members the app synced by webhook, each organization walled off. The same
// gateway fronts the app's /api/v1, which the generated client calls
// through it.
func TestThroughTheGateway(t *testing.T) {
	t.Parallel()
	s := apptest.StartSynced(t, apptest.Options{})
	s.WaitForWebhooks(t)
	if err := models.RegisterTenantGuard(s.DB); err != nil {
		t.Fatal(err)
	}
	svc := &Service{DB: s.DB, TenantRole: "app_tenant", Gateway: &gatewayauth.Verifier{Secret: secret}, Log: slog.New(slog.DiscardHandler)}
	service := httptest.NewServer(svc.Handler())
	t.Cleanup(service.Close)

	routes, err := gateway.ParseRoutes("/notifications/=" + service.URL + ",/api/=" + s.URL)
	if err != nil {
		t.Fatal(err)
	}
	v, err := clerkauth.NewVerifier(clerkauth.Config{FrontendAPIURL: s.EmuURL, SecretKey: s.Emu.SecretKey(), APIURL: s.EmuURL + "/v1", AuthorizedParties: []string{s.URL}})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(gateway.Options{Routes: routes, Auth: &clerkauth.Middleware{Verifier: v}, Secret: secret, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(gw)
	t.Cleanup(front.Close)

	_, aliceInAcme := s.Session(t, apptest.Alice, apptest.Acme)
	_, carolInGlobex := s.Session(t, apptest.Carol, apptest.Globex)
	get := func(token, path string, headers map[string]string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("GET", front.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	// Each organization's members, and only them, whatever a client claims.
	code, out := get(aliceInAcme, "/notifications/preferences", map[string]string{"X-Clerk-Org-Id": apptest.Globex, "x-clerk-user-id": apptest.Carol})
	if ids := userIDs(out); code != 200 || strings.Join(ids, ",") != apptest.Alice+","+apptest.Bob {
		t.Errorf("acme's preferences through the gateway = %d %v, want alice and bob", code, ids)
	}
	code, out = get(carolInGlobex, "/notifications/preferences", nil)
	if ids := userIDs(out); code != 200 || len(ids) != 2 || strings.Contains(strings.Join(ids, ","), apptest.Bob) {
		t.Errorf("globex's preferences = %d %v, want its members (carol, alice), never bob", code, ids)
	}
	if code, _ := get("", "/notifications/preferences", nil); code != http.StatusUnauthorized {
		t.Errorf("no token through the gateway = %d, want 401", code)
	}
	// Skipping the gateway, even with the headers it would set, is refused.
	req, _ := http.NewRequest("GET", service.URL+"/notifications/preferences", nil)
	req.Header.Set(gatewayauth.HeaderUserID, apptest.Alice)
	req.Header.Set(gatewayauth.HeaderOrgID, apptest.Acme)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("straight to the service = %d, want 401", resp.StatusCode)
	}

	// The app's API through the same gateway, with the client a mobile
	// team would generate from api/openapi.yaml.
	c, err := apiclient.NewClientWithResponses(front.URL, apiclient.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+aliceInAcme)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.GetMeWithResponse(t.Context())
	if err != nil || me.JSON200 == nil || me.JSON200.User.Id != apptest.Alice {
		t.Fatalf("GetMe through the gateway = %v %d %s", err, me.StatusCode(), me.Body)
	}
	if me.HTTPResponse.Header.Get("X-Request-Id") == "" {
		t.Error("the gateway's answer carries no X-Request-Id")
	}
}
