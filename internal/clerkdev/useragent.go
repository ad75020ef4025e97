package clerkdev

import "strings"

// deviceInfo is what a session's latest_activity says about the browser.
type deviceInfo struct {
	DeviceType     string // "desktop" or "mobile"
	IsMobile       bool
	BrowserName    string // "" when the User-Agent names no known browser
	BrowserVersion string
}

// browserTokens are User-Agent product tokens and the browser each one names, most
// specific first: Edge and Opera also send "Chrome/", Chrome also sends "Safari/".
var browserTokens = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
	{"HeadlessChrome/", "Chrome"}, {"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Version/", "Safari"},
}

// describeUserAgent reads the device type and the browser from a User-Agent header.
func describeUserAgent(ua string) deviceInfo {
	d := deviceInfo{DeviceType: "desktop"}
	if strings.Contains(ua, "Mobile") || strings.Contains(ua, "Android") {
		d.DeviceType, d.IsMobile = "mobile", true
	}
	for _, b := range browserTokens {
		if _, rest, ok := strings.Cut(ua, b.token); ok {
			d.BrowserName = b.name
			d.BrowserVersion, _, _ = strings.Cut(rest, " ")
			break
		}
	}
	return d
}
