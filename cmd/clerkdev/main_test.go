package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestRunRefusesLiveKey(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), lookup(map[string]string{"CLERKDEV_SECRET_KEY": "sk_live_abc"}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "sk_live_") {
		t.Fatalf("run = %v, want a live-key error", err)
	}
}

func TestRunPrintsBanner(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, lookup(map[string]string{"CLERKDEV_ADDR": "127.0.0.1:0", "CLERKDEV_WEBHOOK_URL": ""}), &out, io.Discard)
	}()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"pk_test_", "sk_test_clerkdev", "whsec_", "alice@example.com"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %s:\n%s", want, out.String())
		}
	}
}

func TestRunRetrySchedule(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err := run(ctx, lookup(map[string]string{"CLERKDEV_ADDR": "127.0.0.1:0", "CLERKDEV_RETRY_SCHEDULE": "0,200ms,1s"}), &out, io.Discard)
	if err != nil || !strings.Contains(out.String(), "retries after 0s,200ms,1s") {
		t.Errorf("run = %v; the banner lacks the retry schedule:\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, lookup(map[string]string{"CLERKDEV_ADDR": "127.0.0.1:0"}), &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "retries after 0s,5s,5m0s,30m0s,2h0m0s,5h0m0s,10h0m0s,10h0m0s") {
		t.Errorf("run = %v; the banner lacks Svix's schedule:\n%s", err, out.String())
	}
	err = run(ctx, lookup(map[string]string{"CLERKDEV_ADDR": "127.0.0.1:0", "CLERKDEV_RETRY_SCHEDULE": "0,5"}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "CLERKDEV_RETRY_SCHEDULE") {
		t.Errorf("run with a bad schedule = %v, want an error naming CLERKDEV_RETRY_SCHEDULE", err)
	}
}

func TestRunAllowedRedirectOrigins(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err := run(ctx, lookup(map[string]string{"CLERKDEV_ADDR": "127.0.0.1:0", "CLERKDEV_WEBHOOK_URL": "",
		"CLERKDEV_ALLOWED_REDIRECT_ORIGINS": " https://app.example.test, http://localhost:3000/ ,"}), &out, io.Discard)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(out.String(), "allowed redirect origins: http://localhost:3000, http://localhost:") ||
		!strings.Contains(out.String(), ", https://app.example.test\n") {
		t.Errorf("banner lacks the allowed redirect origins:\n%s", out.String())
	}

	err = run(ctx, lookup(map[string]string{"CLERKDEV_ADDR": "127.0.0.1:0", "CLERKDEV_WEBHOOK_URL": "",
		"CLERKDEV_ALLOWED_REDIRECT_ORIGINS": "localhost:3000"}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "localhost:3000") {
		t.Fatalf("run with a bad origin = %v, want an error naming it", err)
	}
}
