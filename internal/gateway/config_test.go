package gateway_test

import (
	"strings"
	"testing"

	"example.com/saas/internal/gateway"
)

func TestParseRoutes(t *testing.T) {
	t.Parallel()
	routes, err := gateway.ParseRoutes(" /api/=http://127.0.0.1:8080 , /notifications/=http://127.0.0.1:9301/,/api/v2/=https://v2.internal")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range routes {
		got = append(got, r.Prefix+"="+r.Upstream.String())
	}
	want := "/notifications/=http://127.0.0.1:9301 /api/v2/=https://v2.internal /api/=http://127.0.0.1:8080"
	if strings.Join(got, " ") != want {
		t.Fatalf("routes %v, want longest prefix first: %s", got, want)
	}
	for _, bad := range []string{
		"", " , ", "/api/", "api/=http://x:1", "/api/=", "/api/=ftp://x", "/api/=http://x:1/v1",
		"/api/=http://x:1?q=1", "/a/../b/=http://x:1", "/a//=http://x:1", "/api/=http://x:1,/api/=http://y:1",
	} {
		_, err := gateway.ParseRoutes(bad)
		if err == nil || !strings.HasPrefix(err.Error(), "GATEWAY_ROUTES: ") {
			t.Errorf("ParseRoutes(%q) = %v, want a GATEWAY_ROUTES error", bad, err)
		}
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"DATABASE_URL":           "postgres://u:p@127.0.0.1:5432/saas",
		"CLERK_SECRET_KEY":       "sk_test_abc",
		"CLERK_FRONTEND_API_URL": "http://127.0.0.1:8081",
		"GATEWAY_ROUTES":         "/notifications/=http://127.0.0.1:9301",
	}
	load := func(over map[string]string) (*gateway.Config, error) {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range over {
			env[k] = v
		}
		return gateway.Load(func(k string) string { return env[k] })
	}
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8090" || !c.SecretDefault || string(c.Secret) != gateway.DevSharedSecret || c.MetricsAddr != "127.0.0.1:9091" {
		t.Fatalf("development defaults: %+v", c)
	}
	c, err = load(map[string]string{"GATEWAY_SHARED_SECRET": strings.Repeat("s", 32), "GATEWAY_ADDR": "0.0.0.0:9000", "GATEWAY_UPSTREAM_TIMEOUT": "2s"})
	if err != nil || c.SecretDefault || c.Addr != "0.0.0.0:9000" || c.UpstreamTimeout.String() != "2s" {
		t.Fatalf("set values: %+v %v", c, err)
	}
	for name, tc := range map[string]struct {
		over map[string]string
		want string
	}{
		"no database":         {map[string]string{"DATABASE_URL": ""}, "DATABASE_URL: "},
		"no Clerk":            {map[string]string{"CLERK_SECRET_KEY": "", "CLERK_FRONTEND_API_URL": ""}, "CLERK_SECRET_KEY: "},
		"no routes":           {map[string]string{"GATEWAY_ROUTES": ""}, "GATEWAY_ROUTES: is required"},
		"short secret":        {map[string]string{"GATEWAY_SHARED_SECRET": "short"}, "GATEWAY_SHARED_SECRET: must be at least 32 bytes"},
		"production default":  {map[string]string{"APP_ENV": "production", "CLERK_FRONTEND_API_URL": "https://clerk.example.com"}, "GATEWAY_SHARED_SECRET: is required in production"},
		"production emulator": {map[string]string{"APP_ENV": "production", "GATEWAY_SHARED_SECRET": strings.Repeat("s", 32)}, "CLERK_FRONTEND_API_URL: points at a local Clerk emulator"},
		"bad addr":            {map[string]string{"GATEWAY_ADDR": "8090"}, "GATEWAY_ADDR: "},
		"bad timeout":         {map[string]string{"GATEWAY_UPSTREAM_TIMEOUT": "soon"}, "GATEWAY_UPSTREAM_TIMEOUT: "},
		"bad metrics":         {map[string]string{"GATEWAY_METRICS_ADDR": "9091"}, "GATEWAY_METRICS_ADDR: "},
	} {
		if _, err := load(tc.over); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q…", name, err, tc.want)
		}
	}
}
