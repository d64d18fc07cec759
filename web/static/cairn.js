// Cairn pages: the shared module. No inline script anywhere (the
// Content-Security-Policy forbids it); pages load their own module after
// this one. Exposes window.cairn: the CSRF token, a JSON fetch helper
// that sends it, the page's strings and small DOM helpers.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  var stringsEl = document.getElementById("cairn-strings");
  var strings = {};
  if (stringsEl) {
    try { strings = JSON.parse(stringsEl.getAttribute("data-strings") || "{}"); } catch (e) { strings = {}; }
  }

  // t returns the page's text for key (its English text, as the server
  // sent it translated), each %s or %d replaced by the next argument.
  function t(key) {
    var s = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    for (var i = 1; i < arguments.length; i++) {
      var arg = String(arguments[i]);
      s = s.replace(/%[sd]/, function () { return arg; });
    }
    return s;
  }

  // api sends a JSON request with the CSRF token; it resolves to the
  // parsed answer and rejects with {status, code, message}.
  function api(method, url, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method !== "GET" && method !== "HEAD") { opts.headers["X-CSRF-Token"] = token; }
    if (body instanceof FormData) {
      opts.body = body;
    } else if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (res) {
      var ct = res.headers.get("Content-Type") || "";
      var parsed = ct.indexOf("json") >= 0 ? res.json() : res.text();
      return parsed.then(function (data) {
        if (!res.ok) {
          var err = { status: res.status, code: (data && data.code) || "error", message: (data && data.message) || t("Something went wrong. Please try again.") };
          throw err;
        }
        return data;
      });
    });
  }

  // el builds an element: el("li", {class: "x"}, "text", child…). Text is
  // always set as text, never as HTML.
  // isolate puts s between FIRST STRONG ISOLATE and POP DIRECTIONAL
  // ISOLATE: a name, id or DID inserted into a sentence keeps its own
  // direction (a Latin name in Arabic text; web.View.TB's <bdi> on the
  // server).
  function isolate(s) { return "\u2068" + s + "\u2069"; }

  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] === false || attrs[k] === null || attrs[k] === undefined) { return; }
        if (k === "text") { e.textContent = attrs[k]; } else { e.setAttribute(k, attrs[k] === true ? "" : attrs[k]); }
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) { continue; }
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }

  // show makes the section with id visible, hides its siblings marked
  // data-screen, and moves focus to its heading for screen readers.
  function show(id) {
    var target = document.getElementById(id);
    document.querySelectorAll("[data-screen]").forEach(function (s) { s.hidden = s !== target; });
    if (target) {
      var h = target.querySelector("h1, h2");
      if (h) { h.setAttribute("tabindex", "-1"); h.focus(); }
    }
  }

  // Buttons with data-confirm ask before their form is sent.
  document.addEventListener("submit", function (ev) {
    var b = ev.submitter;
    var q = (b && b.getAttribute("data-confirm")) || ev.target.getAttribute("data-confirm");
    if (q && !window.confirm(q)) { ev.preventDefault(); }
  });
  // Buttons with data-print print the page.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("[data-print]");
    if (b) { ev.preventDefault(); window.print(); }
  });

  // A form sent back with problems: their summary takes the focus, so a
  // screen reader reads it first and the links lead to the fields.
  var problems = document.getElementById("problems");
  if (problems) { problems.focus(); }

  window.cairn = { token: token, t: t, isolate: isolate, api: api, el: el, show: show, lang: document.documentElement.lang };
})();
