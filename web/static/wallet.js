// The wallet page (web/walletpage): screens switched in place, every call
// to this origin with the CSRF token (cairn.api). Text from the server is
// always set as text, never as HTML.
(function () {
  "use strict";
  var c = window.cairn, t = c.t, el = c.el, iso = c.isolate, $ = function (id) { return document.getElementById(id); };
  var root = $("wallet");
  if (!root) { return; }
  var base = location.pathname.replace(/[^/]*$/, "");
  var lang = c.lang;
  var offer = null, request = null, stream = null;

  function say(text) { var s = $("status"); s.textContent = text; s.hidden = !text; $("alert").hidden = true; }
  function fail(err) {
    var a = $("alert");
    a.textContent = (err && err.message) || t("Something went wrong. Please try again.");
    a.hidden = false; $("status").hidden = true;
    if (err && err.code === "session_expired") { go("s-locked"); }
  }
  function clear() { $("alert").hidden = true; $("status").hidden = true; }
  function go(id) {
    clear();
    c.show(id);
    if (id === "s-home") { loadHome(); }
    if (id === "s-log") { loadLog(); }
    if (id === "s-scan") { $("camera-box").hidden = !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia); }
    if (id !== "s-scan") { stopCamera(); }
  }
  function post(path, body) { return c.api("POST", base + path, body); }
  function api(method, path, body) { return c.api(method, base + "api" + path + (path.indexOf("?") < 0 ? "?" : "&") + "lang=" + lang, body); }
  function pinOK(p) { return /^[0-9]{4,8}$/.test(p); }
  function date(s) {
    if (!s) { return ""; }
    try { return new Date(s).toLocaleDateString(lang, { year: "numeric", month: "long", day: "numeric" }); } catch (e) { return s.slice(0, 10); }
  }

  document.addEventListener("click", function (ev) {
    var g = ev.target.closest && ev.target.closest("[data-go]");
    if (g) { ev.preventDefault(); go(g.getAttribute("data-go")); }
  });

  // ---- creating, opening, recovering ----
  $("f-create").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var p = $("new-pin").value, p2 = $("new-pin2").value;
    if (!pinOK(p)) { fail({ message: t("The PIN must be 4 to 8 digits.") }); $("new-pin").focus(); return; }
    if (p !== p2) { fail({ message: t("The two PINs are not the same.") }); $("new-pin2").focus(); return; }
    post("create", { pin: p, lang: lang }).then(function (r) {
      $("new-pin").value = $("new-pin2").value = "";
      $("recovery-code").textContent = r.recovery_code;
      go("s-code");
    }, fail);
  });
  $("f-login").addEventListener("submit", function (ev) {
    ev.preventDefault();
    post("login", { pin: $("pin").value }).then(function () { $("pin").value = ""; go("s-home"); }, fail);
  });
  $("f-recover").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!pinOK($("rec-pin").value)) { fail({ message: t("The PIN must be 4 to 8 digits.") }); return; }
    post("recover", { recovery_code: $("rec-code").value.trim(), new_pin: $("rec-pin").value }).then(function () {
      $("rec-code").value = $("rec-pin").value = ""; go("s-home");
    }, fail);
  });

  // ---- home: credentials and the timeline ----
  function ago(secs) {
    if (secs < 60) { return t("just now"); }
    if (secs < 3600) { return t("%d minutes ago", Math.floor(secs / 60)); }
    if (secs < 172800) { return t("%d hours ago", Math.floor(secs / 3600)); }
    return t("%d days ago", Math.floor(secs / 86400));
  }
  // statusLine says when the issuer's status list was read, or that it
  // could not be (with the last status read); null when there is none.
  function statusLine(cr, labels) {
    var age = typeof cr.status_age_seconds === "number" ? ago(cr.status_age_seconds) : "";
    if (cr.status === "unavailable") {
      return cr.status_last_known && age ? t("Could not check with the issuer now. Last known: %s, %s.", labels[cr.status_last_known] || cr.status_last_known, age)
        : t("Could not check with the issuer now.");
    }
    return age ? t("Checked with the issuer %s.", age) : null;
  }
  function loadHome() {
    api("GET", "/v1/credentials").then(function (r) {
      var ul = $("creds"); ul.textContent = "";
      if (!r.credentials || r.credentials.length === 0) { ul.appendChild(el("li", { text: t("Nothing received yet.") })); }
      (r.credentials || []).forEach(function (cr) {
        // validity is judged now by the agent; status is the issuer's
        // list as the agent read it (revoked or suspended shows instead
        // of "valid"), with when it was read
        var st = cr.validity || "unknown";
        if (st === "valid" && (cr.status === "revoked" || cr.status === "suspended")) { st = cr.status; }
        var statusText = { valid: t("valid"), expired: t("expired"), not_yet_valid: t("not valid yet"), unknown: t("unknown"),
          revoked: t("revoked"), suspended: t("suspended") };
        var checked = statusLine(cr, statusText);
        ul.appendChild(el("li", null,
          el("strong", { text: cr.type_name || cr.type }), " ",
          el("span", { "class": "badge " + (st === "not_yet_valid" ? "unknown" : st), text: statusText[st] || st }),
          // the experimental jpt format: unlinkable showings, but a bearer
          // credential (no holder binding)
          cr.holder_bound === false ? " " : null,
          cr.holder_bound === false ? el("span", { "class": "badge unlinkable", text: t("unlinkable, not bound to you") }) : null,
          el("br"), el("span", { "class": "muted", text: t("issued by %s", iso((cr.issuer && (cr.issuer.name || cr.issuer.did)) || "")) }),
          el("br"), el("span", { text: date(cr.issued_at) }),
          checked ? el("br") : null, checked ? el("span", { "class": "muted", text: checked }) : null));
      });
    }, fail);
    api("GET", "/v1/timeline").then(function (r) {
      var ol = $("timeline"); ol.textContent = "";
      var byDay = {};
      (r.facts || []).forEach(function (f) {
        if (/^\/?evidence(\/|$)|_precision$/.test(f.path || "")) { return; } // how it was checked, not what it says
        var k = (f.at || "").slice(0, 10) + "|" + (f.type_name || "") + "|" + ((f.issuer && f.issuer.name) || "");
        (byDay[k] = byDay[k] || { at: f.at, type: f.type_name, issuer: f.issuer && (f.issuer.name || f.issuer.did), labels: [] }).labels.push(f.label);
      });
      Object.keys(byDay).sort().forEach(function (k) {
        var d = byDay[k];
        ol.appendChild(el("li", null, el("strong", { text: date(d.at) }), " · ", d.type || "", el("br"),
          el("span", { "class": "muted", text: d.issuer || "" }), el("br"), d.labels.join(lang === "ar" ? "، " : ", ")));
      });
      if (ol.children.length === 0) { ol.appendChild(el("li", { text: t("Nothing received yet.") })); }
    }, fail);
  }

  // ---- scanning ----
  function handleText(text) {
    text = (text || "").trim();
    if (/^openid-credential-offer:/i.test(text)) {
      say(t("Scanning…"));
      api("POST", "/v1/offers", { offer: text }).then(showOffer, fail);
    } else if (/^(openid4vp|eudi-openid4vp|haip|mdoc-openid4vp):/i.test(text) || /[?&]request_uri=/.test(text)) {
      say(t("Scanning…"));
      api("POST", "/v1/requests", { request: text }).then(showRequest, fail);
    } else {
      fail({ message: t("This is not a code Cairn can read.") });
    }
  }
  $("f-paste").addEventListener("submit", function (ev) { ev.preventDefault(); handleText($("paste").value); });
  $("f-photo").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = $("photo").files[0];
    if (!f) { $("photo").focus(); return; }
    var fd = new FormData(); fd.append("photo", f);
    say(t("Scanning…"));
    c.api("POST", base + "scan", fd).then(function (r) { handleText(r.text); }, function (e) {
      fail(e.code === "no_code" ? { message: t("No QR code was found in this photo. Try again closer, with more light.") } : e);
    });
  });
  function stopCamera() {
    if (stream) { stream.getTracks().forEach(function (tr) { tr.stop(); }); stream = null; }
    $("camera").srcObject = null; $("camera").hidden = true; $("camera-stop").hidden = true; $("camera-start").hidden = false;
  }
  // The camera reads a code with the browser's BarcodeDetector where it
  // has one; elsewhere (Firefox, Linux chromium) a frame about every
  // second is sent to the server, which decodes it as it does an upload.
  function fromServer(video) {
    var canvas = document.createElement("canvas"), busy = false;
    var tick = function () {
      if (!stream) { return; }
      if (busy || !video.videoWidth) { setTimeout(tick, 400); return; }
      var k = Math.min(1, 1024 / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * k); canvas.height = Math.round(video.videoHeight * k);
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      busy = true;
      canvas.toBlob(function (blob) {
        var fd = new FormData(); fd.append("photo", blob, "frame.jpg");
        c.api("POST", base + "scan", fd).then(function (r) {
          busy = false;
          if (stream) { stopCamera(); handleText(r.text); }
        }, function (e) {
          busy = false;
          if (e && e.code === "no_code") { setTimeout(tick, 900); return; }
          stopCamera(); fail(e);
        });
      }, "image/jpeg", 0.9);
    };
    tick();
  }
  function withDetector(video) {
    var det = new window.BarcodeDetector({ formats: ["qr_code"] });
    var tick = function () {
      if (!stream) { return; }
      det.detect(video).then(function (codes) {
        if (codes.length > 0) { stopCamera(); handleText(codes[0].rawValue); } else { setTimeout(tick, 300); }
      }, function () { setTimeout(tick, 500); });
    };
    tick();
  }
  $("camera-start").addEventListener("click", function () {
    var video = $("camera");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s; video.srcObject = s; video.hidden = false; $("camera-stop").hidden = false; $("camera-start").hidden = true;
      return video.play().then(function () {
        if ("BarcodeDetector" in window) { withDetector(video); } else { fromServer(video); }
      });
    }).catch(function () { fail({ message: t("The camera could not be opened. Upload a photo or paste the text instead.") }); });
  });
  $("camera-stop").addEventListener("click", stopCamera);

  // ---- an offer ----
  function showOffer(p) {
    offer = p;
    var v = $("offer-view"); v.textContent = "";
    var claims = el("ul");
    (p.claims || []).forEach(function (cl) { claims.appendChild(el("li", { text: cl.label })); });
    v.appendChild(el("div", { "class": "card" },
      el("p", null, el("strong", { text: t("From") + ": " }), el("bdi", { text: p.issuer_name || p.issuer_url }), " ",
        p.trusted ? el("span", { "class": "badge valid", text: t("Registered issuer") }) : null),
      el("p", null, el("strong", { text: t("You will receive") + ": " }), p.type_label || p.vct),
      el("p", null, el("strong", { text: t("The information in it") + ":" })), claims,
      // the experimental jpt format: the agent's own words (no holder binding)
      p.note ? el("p", { "class": "notice warn", text: p.note.text }) : null));
    $("offer-untrusted").hidden = p.trusted;
    $("offer-untrusted").textContent = p.trusted ? "" : ((p.warning && p.warning.text) || t("This issuer is not in the trust registry."));
    $("offer-confirm-box").hidden = p.trusted;
    $("offer-confirm").checked = false;
    $("offer-tx-box").hidden = !p.tx_code;
    $("offer-tx").value = "";
    go("s-offer");
  }
  $("f-accept").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!offer) { return; }
    var body = { tx_code: $("offer-tx").value.trim() || undefined, confirm_untrusted: $("offer-confirm").checked || undefined };
    api("POST", "/v1/offers/" + encodeURIComponent(offer.id) + "/accept", body).then(function (a) {
      var name = offer.type_label || offer.vct; offer = null;
      $("done-text").textContent = t("Received: %s", name);
      go("s-done");
    }, fail);
  });
  $("offer-refuse").addEventListener("click", function () {
    if (!offer) { return; }
    api("POST", "/v1/offers/" + encodeURIComponent(offer.id) + "/refuse").then(function () {
      offer = null; $("done-text").textContent = t("Refused: nothing was sent."); go("s-done");
    }, fail);
  });

  // ---- a request: the consent screen ----
  function showRequest(p) {
    request = p;
    // A revoked credential was left out: the holder may choose to offer
    // it (the agent's with_revoked view, sent with offer_revoked).
    $("consent-revoked").checked = false;
    $("consent-revoked-box").hidden = !p.with_revoked;
    renderRequest(p);
    go("s-request");
  }
  $("consent-revoked").addEventListener("change", function () {
    if (!request || !request.with_revoked) { return; }
    renderRequest(this.checked ? request.with_revoked : request);
  });
  function renderRequest(p) {
    var v = $("request-view"); v.textContent = "";
    var over = {};
    (p.outside_purpose || []).forEach(function (o) { over[o.path] = o.label; });
    v.appendChild(el("div", { "class": "card" },
      el("p", null, el("strong", { text: t("%s asks for", iso(p.verifier_name || p.verifier_id)) }), " ",
        p.registered ? el("span", { "class": "badge valid", text: t("Registered verifier") }) : el("span", { "class": "badge untrusted", text: t("Not registered") })),
      // the purpose by its name in the holder's language (its id when it
      // has none), isolated (FSI…PDI) so that a sentence of the other
      // direction does not reorder it; the notices' inserted names come
      // isolated from the agent
      p.purpose ? el("p", { id: "request-purpose", text: t("Purpose: %s", iso(p.purpose_name || p.purpose)) }) : null));
    (p.warnings || []).forEach(function (w) { v.appendChild(el("p", { "class": "notice warn", role: "alert", text: w.text })); });
    var list = $("consent-list"); list.textContent = "";
    if (!p.can_answer) {
      v.appendChild(el("p", { "class": "notice bad", text: t("You cannot answer: these are missing: %s", (p.missing || []).join(", ")) }));
    }
    var n = 0;
    (p.queries || []).forEach(function (q) {
      list.appendChild(el("p", null, el("strong", { text: q.type_label || q.vct }), " · ", el("bdi", { "class": "muted", text: q.issuer_name || "" })));
      (q.claims || []).forEach(function (cl) {
        var id = "claim-" + (n++);
        var flagged = Object.prototype.hasOwnProperty.call(over, cl.path);
        var box = el("input", { type: "checkbox", id: id, value: cl.path, checked: true });
        list.appendChild(el("label", { "class": "check", "for": id }, box, " " + cl.label,
          flagged ? el("span", { "class": "badge untrusted", text: t("More than its purpose needs") }) : null));
      });
    });
    $("consent-send").disabled = !p.can_answer;
  }
  $("f-consent").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!request) { return; }
    var boxes = Array.prototype.slice.call(document.querySelectorAll("#consent-list input[type=checkbox]"));
    var only = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    var body = only.length === boxes.length ? {} : { only: only };
    if (request.with_revoked && $("consent-revoked").checked) { body.offer_revoked = true; }
    api("POST", "/v1/requests/" + encodeURIComponent(request.id) + "/respond", body).then(function (r) {
      var who = r.verifier_name || request.verifier_name; request = null;
      $("done-text").textContent = t("Sent to %s.", who);
      go("s-done");
    }, fail);
  });
  $("request-refuse").addEventListener("click", function () {
    if (!request) { return; }
    api("POST", "/v1/requests/" + encodeURIComponent(request.id) + "/refuse").then(function () {
      request = null; $("done-text").textContent = t("Refused: nothing was sent."); go("s-done");
    }, fail);
  });

  // ---- the consent log ----
  function loadLog() {
    api("GET", "/v1/log").then(function (r) {
      var ol = $("log"); ol.textContent = "";
      var entries = (r.entries || []).slice().reverse();
      if (entries.length === 0) { ol.appendChild(el("li", { text: t("Nothing shared yet.") })); }
      entries.forEach(function (e) {
        var what = /refus/.test(e.event) ? t("Refused") : (/present|shar|sent/.test(e.event) ? t("Shared") : t("Received"));
        ol.appendChild(el("li", null, el("strong", { text: what }), " · ", date(e.at), el("br"),
          e.party_name || e.party_id || "", e.purpose ? " · " + (e.purpose_name || e.purpose) : "", el("br"),
          el("span", { "class": "muted code", text: (e.claims || []).join(", ") })));
      });
    }, fail);
    api("GET", "/v1/log/verify").then(function (v) {
      $("log-check").textContent = v.intact ? t("The consent log is intact (%s entries).", v.entries) : t("The consent log was changed at entry %s.", v.broken_at);
    }, function () {});
  }

  // ---- settings ----
  $("f-pin").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!pinOK($("chg-pin").value)) { fail({ message: t("The PIN must be 4 to 8 digits.") }); return; }
    post("pin", { pin: $("old-pin").value, new_pin: $("chg-pin").value }).then(function () {
      $("old-pin").value = $("chg-pin").value = ""; say(t("PIN changed."));
    }, fail);
  });
  $("f-export").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var pass = $("export-pass").value;
    if (pass.length < 12) { fail({ message: t("Enter the passphrase to protect the file (at least 12 characters).") }); return; }
    fetch(base + "api/v1/export", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRF-Token": c.token }, body: JSON.stringify({ passphrase: pass }) })
      .then(function (res) {
        if (!res.ok) { return res.json().then(function (e) { throw e; }); }
        return res.blob();
      }).then(function (blob) {
        $("export-pass").value = "";
        var a = $("export-link"); a.href = URL.createObjectURL(blob); a.hidden = false; a.focus();
        say(t("Your wallet file is ready."));
      }, fail);
  });
  $("logout").addEventListener("click", function () { post("logout").then(function () { go("s-locked"); }, fail); });
  $("wipe").addEventListener("click", function () {
    if (!window.confirm(t("Wipe this wallet? All credentials are deleted. This cannot be undone."))) { return; }
    post("wipe").then(function () { go("s-new"); }, fail);
  });

  var state = root.getAttribute("data-state");
  go(state === "open" ? "s-home" : state === "locked" ? "s-locked" : "s-new");
})();
