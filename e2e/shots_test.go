package e2e

import (
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// viewport is a screen size screenshots are taken at.
type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

var (
	desktop = viewport{"desktop", 1280, 800, false}
	phone   = viewport{"phone", 390, 844, true}
)

// schemes are the values of prefers-color-scheme screenshots are taken in.
var schemes = []string{"light", "dark"}

// Screenshot saves full-page PNGs of the current page as
// <name>-<desktop|phone>-<light|dark>.png in the artifacts directory, then
// puts the tab back to a light desktop.
func (tab *Tab) Screenshot(name string) {
	tab.t.Helper()
	for _, vp := range []viewport{desktop, phone} {
		tab.setViewport(vp)
		for _, scheme := range schemes {
			tab.setScheme(scheme)
			png := run(tab, "screenshot "+name, chromedp.FullScreenshot(100))
			if _, err := writeArtifact(name+"-"+vp.name+"-"+scheme+".png", png); err != nil {
				tab.t.Fatalf("save screenshot %s: %v", name, err)
			}
		}
	}
	tab.setViewport(desktop)
	tab.setScheme("light")
}

func (tab *Tab) setViewport(vp viewport) {
	tab.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if vp.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulatePortrait)
	}
	tab.Do("set the viewport to "+vp.name, chromedp.EmulateViewport(vp.width, vp.height, opts...))
}

// setScheme emulates prefers-color-scheme, jumps any color transition the
// change started to its end (a screenshot must not catch colors half-way),
// and waits for the page to paint.
func (tab *Tab) setScheme(scheme string) {
	tab.t.Helper()
	Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
	if got := Eval[bool](tab, `matchMedia("(prefers-color-scheme: `+scheme+`)").matches`); !got {
		tab.t.Fatalf("%s: prefers-color-scheme %s not in effect", tab.name, scheme)
	}
	Eval[bool](tab, `new Promise(r => requestAnimationFrame(() => {
		for (const a of document.getAnimations()) { try { a.finish(); } catch (e) {} }
		requestAnimationFrame(() => r(true));
	}))`)
}
