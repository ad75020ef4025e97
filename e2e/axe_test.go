package e2e

import (
	_ "embed"
	"fmt"
	"strings"
)

// axeSource is axe-core 4.14.1 (npm package axe-core, MPL-2.0, by Deque
// Systems), copied unmodified from node_modules/axe-core/axe.min.js so the
// browser tests need no npm: `npm install` and copy it again to update it
// (package.json pins the version).
//
//go:embed testdata/axe.min.js
var axeSource string

// axeViolation is what the tests report of an axe-core violation.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// CheckAccessibility runs axe-core on the page the tab shows, in the color
// scheme it is in, and fails the test on any serious or critical violation
// (WCAG 2.x A and AA rules and axe's best practices).
func (tab *Tab) CheckAccessibility(name string) {
	tab.t.Helper()
	// Injected through DevTools, which the page's CSP does not govern.
	if !Eval[bool](tab, `typeof window.axe === "object"`) {
		Eval[bool](tab, axeSource+"\n;true")
	}
	found := Eval[[]axeViolation](tab, `axe.run(document, {resultTypes: ["violations"]}).then(r =>
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
			id: v.id, impact: v.impact, help: v.help,
			targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
		})))`)
	for _, v := range found {
		tab.t.Errorf("%s: %s: axe %s (%s): %s at %s", tab.name, name, v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
	}
}

// checkAccessibilityBothSchemes runs CheckAccessibility in light and dark.
func (tab *Tab) checkAccessibilityBothSchemes(name string) {
	tab.t.Helper()
	for _, scheme := range schemes {
		tab.setScheme(scheme)
		tab.CheckAccessibility(fmt.Sprintf("%s (%s)", name, scheme))
	}
	tab.setScheme("light")
}
