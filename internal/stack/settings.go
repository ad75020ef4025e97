package stack

import "strconv"

// SessionSecret is the app's SESSION_SECRET in Settings. It is public on
// purpose: these stacks are local and short-lived.
const SessionSecret = "stack-session-secret-0123456789abcdef"

// BaseURL is the base URL of an app serving on port of this machine.
func BaseURL(port int) string { return "http://localhost:" + strconv.Itoa(port) }

// Settings is the app's environment for serving on port (at BaseURL)
// against emu and the database at dbURL, as `make run` sets it up:
// development, no metrics listener. Callers add their own settings to it.
func Settings(emu *Emulator, port int, dbURL string) map[string]string {
	return map[string]string{
		"APP_ENV":                      "development",
		"PORT":                         strconv.Itoa(port),
		"BASE_URL":                     BaseURL(port),
		"DATABASE_URL":                 dbURL,
		"SESSION_SECRET":               SessionSecret,
		"METRICS_ADDR":                 "off",
		"CLERK_SECRET_KEY":             emu.SecretKey(),
		"CLERK_PUBLISHABLE_KEY":        emu.PublishableKey(),
		"CLERK_API_URL":                emu.BaseURL() + "/v1",
		"CLERK_FRONTEND_API_URL":       emu.BaseURL(),
		"CLERK_WEBHOOK_SIGNING_SECRET": emu.WebhookSecret(),
	}
}
