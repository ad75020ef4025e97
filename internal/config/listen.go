package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// parseBindAddr defaults to loopback in development, so a laptop on a shared
// network does not serve the app (and accept webhooks signed with the
// emulator's public secret) to its neighbours.
func (c *Config) parseBindAddr(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		if c.Production() {
			return "", nil
		}
		return "127.0.0.1", nil
	}
	if v == "*" || v == "0.0.0.0" || v == "::" {
		return "", nil
	}
	if strings.ContainsAny(v, ":/ ") && net.ParseIP(v) == nil {
		return "", bad("BIND_ADDR", "must be an IP address or host name to listen on (\"0.0.0.0\" for every interface), got %q", v)
	}
	return v, nil
}

// ListenAddr is the host:port the app listens on.
func (c *Config) ListenAddr() string {
	return net.JoinHostPort(c.BindAddr, strconv.Itoa(c.Port))
}

func parsePort(v string) (int, error) {
	if v == "" {
		return 8080, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 0 || p > 65535 {
		return 0, bad("PORT", "must be a number from 0 (any free port) to 65535, got %q", v)
	}
	return p, nil
}

func parseBaseURL(v string, port int) (*url.URL, error) {
	if v == "" {
		v = fmt.Sprintf("http://localhost:%d", port)
	}
	u, err := url.Parse(strings.TrimRight(v, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, bad("BASE_URL", "must be an absolute http(s) URL such as https://app.example.com, got %q", v)
	}
	return u, nil
}

func (c *Config) loadMetricsAddr(getenv Getenv) error {
	c.MetricsAddr = getenv("METRICS_ADDR")
	if c.MetricsAddr == "" && !c.Production() {
		c.MetricsAddr = "127.0.0.1:9090"
		c.MetricsAddrDefault = true
	}
	if c.MetricsAddr == "" || c.MetricsAddr == "off" {
		c.MetricsAddr = ""
		return nil
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
		return bad("METRICS_ADDR", "must be host:port (or \"off\"), got %q", c.MetricsAddr)
	}
	return nil
}
