package stack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"example.com/saas/internal/clerkdev"
)

// EmulatorConfig wires the Clerk emulator to the app it stands beside.
type EmulatorConfig struct {
	// AppURL is the app's base URL: the hosted pages and the handshake may
	// redirect to its origin, and webhooks go to its /webhooks/clerk. ""
	// wires the emulator to no app.
	AppURL string
	// NoWebhooks switches deliveries off: the app hears of nothing Clerk
	// does (a webhook endpoint not yet configured, or lost deliveries).
	NoWebhooks bool
	// Clerk is the rest of the emulator's configuration: seed, signing
	// key, retry schedule, more allowed redirect origins. Its WebhookURL is
	// set from AppURL.
	Clerk clerkdev.Config
	// Wrap, when set, wraps the emulator's handler (to count its requests).
	Wrap func(http.Handler) http.Handler
}

// Emulator is the Clerk emulator served on a loopback port of this process.
// Its base URL (BaseURL) serves the Frontend API and hosted pages, and the
// Backend API under /v1.
type Emulator struct {
	*clerkdev.Server
	httpServer *http.Server
	// client makes the harness's own Backend API calls. It keeps no idle
	// connections, whose goroutines would blur a goroutine count.
	client *http.Client
}

// StartEmulator builds the emulator from cfg and serves it on a free port
// of 127.0.0.1 until Close.
func StartEmulator(ctx context.Context, cfg EmulatorConfig) (*Emulator, error) {
	clerkCfg := cfg.Clerk
	if cfg.AppURL != "" {
		clerkCfg.AllowedRedirectOrigins = append([]string{originOf(cfg.AppURL)}, clerkCfg.AllowedRedirectOrigins...)
		if !cfg.NoWebhooks {
			clerkCfg.WebhookURL = cfg.AppURL + "/webhooks/clerk"
		}
	}
	emu, err := clerkdev.New(clerkCfg)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		emu.Close()
		return nil, fmt.Errorf("emulator: listen: %w", err)
	}
	emu.SetBaseURL("http://" + ln.Addr().String())
	handler := emu.Handler()
	if cfg.Wrap != nil {
		handler = cfg.Wrap(handler)
	}
	e := &Emulator{
		Server:     emu,
		httpServer: &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute},
		client:     &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
	}
	go e.httpServer.Serve(ln)
	return e, nil
}

// Close stops serving and stops the emulator's webhook deliveries.
func (e *Emulator) Close() {
	e.httpServer.Close()
	e.Server.Close()
}

// originOf is scheme://host of an absolute URL, or raw itself.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Scheme + "://" + u.Host
}
