// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var root = document.documentElement;

  // htmx's settings, set here before htmx starts (at DOMContentLoaded; both
  // scripts are deferred, htmx first) rather than in a <meta> on every
  // page. They keep htmx within the CSP (no eval, no inline styles or
  // scripts), give every request a deadline (a timeout shows a toast), and
  // swap 422 answers: a form posted by htmx is re-rendered in place with its
  // errors, so the address bar keeps the page's URL. Swapped content
  // settles at once (defaultSettleDelay 0): htmx wires new elements when
  // they settle, and during its default 20 ms an Enter in a swapped-in form
  // would post it as a plain form, leaving the page.
  if (window.htmx) {
    var hx = window.htmx.config;
    hx.includeIndicatorStyles = false;
    hx.allowEval = false;
    hx.allowScriptTags = false;
    hx.timeout = 20000;
    hx.defaultSettleDelay = 0;
    hx.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "[45]..", swap: false, error: true },
      { code: "...", swap: false }
    ];
  }
  var stored = null;
  try { stored = localStorage.getItem("theme"); } catch (e) {}
  if (stored === "light" || stored === "dark") root.setAttribute("data-theme", stored);

  function isDark() {
    return root.getAttribute("data-theme") === "dark" ||
      (!root.getAttribute("data-theme") && window.matchMedia("(prefers-color-scheme: dark)").matches);
  }

  function syncToggles() {
    var dark = isDark();
    document.querySelectorAll("[data-theme-toggle]").forEach(function (b) {
      b.setAttribute("aria-pressed", dark ? "true" : "false");
    });
  }

  // Menus (<details data-menu>) close on a click elsewhere and on Escape,
  // as people expect of a dropdown.
  function closeMenus(except) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (d) {
      if (d !== except) d.removeAttribute("open");
    });
  }

  document.addEventListener("click", function (ev) {
    var toggle = ev.target.closest("[data-theme-toggle]");
    if (toggle) {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("theme", next); } catch (e) {}
      syncToggles();
      return;
    }
    closeMenus(ev.target.closest("details[data-menu]"));
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    var open = document.querySelector("details[data-menu][open]");
    if (!open) return;
    open.removeAttribute("open");
    var summary = open.querySelector("summary");
    if (summary) summary.focus();
  });

  // Confirmations (views/components.templ ConfirmDialog): without this file
  // the opening link leads to a confirmation page; here it opens its
  // <dialog> with showModal() instead. The browser puts the dialog in the
  // top layer (no scroll box clips it), makes the page behind inert, moves
  // the focus in and closes it on Escape; closing it, however it happens,
  // gives the focus back to the link that opened it.
  document.addEventListener("click", function (ev) {
    var opener = ev.target.closest("[data-dialog-open]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog-open"));
      if (!dialog || typeof dialog.showModal !== "function") return; // the page it links to asks instead
      ev.preventDefault();
      dialog._opener = opener;
      dialog.showModal();
      return;
    }
    var cancel = ev.target.closest("[data-dialog-close]");
    if (cancel) { cancel.closest("dialog").close(); return; }
    // The dialog element itself is hit only on its backdrop: its content
    // fills its box.
    if (ev.target.matches("dialog[data-confirm-dialog][open]")) ev.target.close();
  });
  // close does not bubble: listen while it descends.
  document.addEventListener("close", function (ev) {
    var dialog = ev.target;
    if (dialog._opener && dialog._opener.isConnected) dialog._opener.focus();
    dialog._opener = null;
  }, true);

  // An inline edit (a form marked data-inline-edit) closes on Escape, as
  // its Cancel does: htmx swaps the unchanged row back.
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape" || !ev.target.closest) return;
    var form = ev.target.closest("[data-inline-edit]");
    var cancel = form && form.querySelector("[data-inline-cancel]");
    if (!cancel) return;
    ev.preventDefault();
    cancel.click();
  });

  // Toasts (views/layout.templ): flash messages rendered with the page, and
  // messages of in-page actions, added from the page's <template>s. Success
  // and info toasts go by themselves (not while hovered or focused); errors
  // stay until closed.
  var toastDelay = { success: 5000, info: 5000, undo: 8000 };

  function toastRegion() { return document.getElementById("flashes"); }

  function dismiss(t) {
    if (t && t.parentNode) t.parentNode.removeChild(t);
  }

  function autoDismiss(t, ms) {
    var timer = null;
    function arm() { timer = setTimeout(function () { dismiss(t); }, ms); }
    function hold() { clearTimeout(timer); }
    t.addEventListener("mouseenter", hold);
    t.addEventListener("focusin", hold);
    t.addEventListener("mouseleave", arm);
    t.addEventListener("focusout", function (ev) { if (!t.contains(ev.relatedTarget)) arm(); });
    arm();
  }

  function armToast(t) {
    var kind = t.getAttribute("data-kind");
    if (t.hasAttribute("data-undo-url")) autoDismiss(t, toastDelay.undo);
    else if (toastDelay[kind]) autoDismiss(t, toastDelay[kind]);
  }

  // toast shows {kind, message, undoURL, undoTarget}; with undoURL it offers
  // "Undo": a POST whose answer replaces undoTarget.
  function toast(opts) {
    var region = toastRegion();
    var kind = opts.kind === "error" || opts.kind === "info" ? opts.kind : "success";
    var tpl = document.getElementById("toast-template");
    if (!region || !tpl) return null;
    var t = tpl.content.firstElementChild.cloneNode(true);
    // The template is an info toast: give it kind's look and role, as
    // views/layout.templ's toast would render it (flashClass, alertRole,
    // flashIconID).
    t.className = "toast tone-" + kind;
    t.setAttribute("role", kind === "error" ? "alert" : "status");
    t.setAttribute("data-kind", kind);
    var use = t.querySelector("use");
    if (use) use.setAttribute("href", use.getAttribute("href").replace(/#.*$/, "#" + kind));
    t.setAttribute("data-testid", "flash");
    t.querySelector("[data-toast-message]").textContent = opts.message || "";
    if (opts.undoURL) {
      t.setAttribute("data-undo-url", opts.undoURL);
      t.setAttribute("data-undo-target", opts.undoTarget || "body");
      var undo = document.createElement("button");
      undo.type = "button";
      undo.className = "toast-undo";
      undo.textContent = "Undo";
      undo.setAttribute("data-toast-undo", "");
      undo.setAttribute("data-testid", "toast-undo");
      t.insertBefore(undo, t.querySelector("[data-toast-close]"));
    }
    // An error repeated by a second try replaces the first, not stacks.
    region.querySelectorAll("[data-toast]").forEach(function (old) {
      if (old.getAttribute("data-kind") === kind &&
          old.querySelector("[data-toast-message]").textContent === t.querySelector("[data-toast-message]").textContent) dismiss(old);
    });
    region.appendChild(t);
    armToast(t);
    return t;
  }
  window.app = { toast: toast };

  document.addEventListener("click", function (ev) {
    var close = ev.target.closest("[data-toast-close]");
    if (close) { dismiss(close.closest("[data-toast]")); return; }
    var undo = ev.target.closest("[data-toast-undo]");
    if (undo && window.htmx) {
      var t = undo.closest("[data-toast]");
      undo.disabled = true;
      window.htmx.ajax("POST", t.getAttribute("data-undo-url"), {
        target: t.getAttribute("data-undo-target"), swap: "outerHTML"
      }).then(function () { dismiss(t); });
    }
  });

  document.addEventListener("app:toast", function (ev) { toast(ev.detail || {}); });

  // An in-page action that failed says so: the server's message (the error
  // page's, or the API envelope's), else what went wrong on the way. A
  // thing that is gone (404, 410) is taken off the page: the closest
  // [data-gone-remove] is removed and the closest [data-refresh-url] is
  // fetched again, so counts and neighbours are current.
  function serverMessage(xhr) {
    var text = xhr && xhr.responseText;
    if (!text) return "";
    try {
      var doc = new DOMParser().parseFromString(text, "text/html");
      var el = doc.querySelector("[data-testid=error-message]");
      if (el) return el.textContent.trim();
    } catch (e) {}
    try { return JSON.parse(text).error.message || ""; } catch (e) {}
    return "";
  }

  function refreshGone(elt) {
    var refresh = elt.closest("[data-refresh-url]");
    var row = elt.closest("[data-gone-remove]");
    if (row) dismiss(row);
    if (refresh && window.htmx) {
      window.htmx.ajax("GET", refresh.getAttribute("data-refresh-url"), { target: refresh, swap: "outerHTML" });
    }
  }

  document.addEventListener("htmx:responseError", function (ev) {
    var xhr = ev.detail.xhr;
    var msg = serverMessage(xhr) || "That did not work (error " + xhr.status + "). Please try again.";
    toast({ kind: "error", message: msg });
    if (xhr.status === 404 || xhr.status === 410) refreshGone(ev.detail.elt);
  });
  document.addEventListener("htmx:sendError", function () {
    toast({ kind: "error", message: "We could not reach the server. Check your connection and try again." });
  });
  document.addEventListener("htmx:timeout", function () {
    toast({ kind: "error", message: "The server took too long to answer. Please try again." });
  });

  // A control that starts a request is disabled and marked busy until the
  // answer arrives (htmx has read the form's values by beforeRequest), so a
  // slow answer shows and a double click sends nothing twice. Success
  // toasts from earlier actions go: they are about what came before.
  function requestControls(elt) {
    if (elt.matches("button, select, input")) return [elt];
    return Array.prototype.slice.call(elt.querySelectorAll("button, select"));
  }

  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail.elt;
    var controls = requestControls(elt).filter(function (c) { return !c.disabled; });
    controls.forEach(function (c) { c.disabled = true; c.setAttribute("aria-busy", "true"); });
    elt.setAttribute("aria-busy", "true");
    elt._busyControls = controls;
    var region = toastRegion();
    if (region) region.querySelectorAll('[data-toast][data-kind="success"]:not([data-undo-url])').forEach(dismiss);
  });
  document.addEventListener("htmx:afterRequest", function (ev) {
    var elt = ev.detail.elt;
    elt.removeAttribute("aria-busy");
    (elt._busyControls || []).forEach(function (c) { c.disabled = false; c.removeAttribute("aria-busy"); });
    elt._busyControls = null;
  });

  // The first invalid field of a form takes the focus, whether the form came
  // with the page or was swapped in with its errors.
  function focusFirstInvalid(root) {
    var field = root.querySelector('[aria-invalid="true"]');
    if (field) field.focus();
  }
  document.addEventListener("htmx:afterSettle", function (ev) { focusFirstInvalid(ev.detail.elt); });

  // Times (views.Moment) in the viewer's zone: relative while recent, the
  // date after a week, the full local time in the title; kept current.
  var lang = root.getAttribute("lang") || undefined;
  function plural(n, noun) { return n + " " + noun + (n === 1 ? "" : "s"); }
  function relative(ms) {
    var min = Math.floor(ms / 60000);
    if (min < 1) return "just now";
    if (min < 60) return plural(min, "minute") + " ago";
    if (min < 1440) return plural(Math.floor(min / 60), "hour") + " ago";
    if (min < 10080) return plural(Math.floor(min / 1440), "day") + " ago";
    return "";
  }
  function localizeTimes(scope) {
    scope.querySelectorAll("time[data-local-time]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      var ago = Date.now() - d.getTime();
      el.textContent = (ago >= 0 && relative(ago)) ||
        d.toLocaleDateString(lang, { year: "numeric", month: "short", day: "numeric" });
      el.title = d.toLocaleString(lang, { dateStyle: "full", timeStyle: "short" });
    });
  }
  document.addEventListener("htmx:load", function (ev) {
    if (ev.detail.elt && ev.detail.elt.querySelectorAll) localizeTimes(ev.detail.elt);
  });
  setInterval(function () { localizeTimes(document); }, 60000);

  document.addEventListener("DOMContentLoaded", function () {
    syncToggles();
    localizeTimes(document);
    var region = toastRegion();
    if (region) region.querySelectorAll("[data-toast]").forEach(armToast);
    focusFirstInvalid(document);
  });
})();
