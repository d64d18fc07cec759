// The caseworker console (web/console): purposes, a request's QR code, the
// result by long polling, a reviewed decision, the offline check. Text
// from the server is always set as text, never as HTML.
(function () {
  "use strict";
  var c = window.cairn, t = c.t, el = c.el, iso = c.isolate, $ = function (id) { return document.getElementById(id); };
  if (!$("console")) { return; }
  var base = location.pathname.replace(/[^/]*$/, "") + "api/console";
  var lang = c.lang, session = null, polling = 0, stream = null;

  function fail(err) { var a = $("alert"); a.textContent = (err && err.message) || t("Something went wrong. Please try again."); a.hidden = false; }
  function clear() { $("alert").hidden = true; }
  function date(s) {
    if (!s) { return ""; }
    try { return new Date(s).toLocaleDateString(lang, { year: "numeric", month: "long", day: "numeric" }); } catch (e) { return s.slice(0, 10); }
  }
  function name(names) { return (names && (names[lang] || names.en)) || ""; }

  c.api("GET", base + "/purposes").then(function (ps) {
    var sel = $("purpose");
    sel.appendChild(el("option", { value: "", text: t("Choose a purpose.") }));
    (ps || []).forEach(function (p) { sel.appendChild(el("option", { value: p.id, text: name(p.names) || p.id })); });
  }, fail);

  // ---- online: a session and its result ----
  $("f-session").addEventListener("submit", function (ev) {
    ev.preventDefault(); clear();
    var purpose = $("purpose").value;
    if (!purpose) { fail({ message: t("Choose a purpose.") }); $("purpose").focus(); return; }
    c.api("POST", base + "/sessions", { purpose: purpose }).then(function (s) {
      session = s; polling++;
      $("session-qr").src = s.qr_png;
      $("session-uri").textContent = s.uri;
      $("session-hint").textContent = t("Ask the person to scan this code with their wallet.");
      $("waiting").textContent = t("Waiting for the person to answer…");
      overAsking($("session-warn"), s.over_asking, (s.over_asking && s.over_asking.claim_labels) || {});
      $("session").hidden = false; $("c-result").hidden = true;
      poll(s.session_id, polling);
    }, fail);
  });

  function poll(id, generation) {
    if (generation !== polling) { return; }
    fetch(base + "/sessions/" + encodeURIComponent(id) + "/result?wait=25s&lang=" + encodeURIComponent(lang), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) {
        return res.json().then(function (body) {
          if (res.status === 202) { setTimeout(function () { poll(id, generation); }, 200); return; }
          if (!res.ok) { fail(body); return; }
          if (generation === polling) { show(body); }
        });
      }, function () { setTimeout(function () { poll(id, generation); }, 2000); });
  }

  // overAsking says, in box, that the desk's own request asks for more
  // than the registry authorizes for its purpose (the person's wallet
  // warned them too); the claims by label where known. It reports
  // whether there was anything to say.
  function overAsking(box, o, labels) {
    box.textContent = ""; box.hidden = !o;
    if (!o) { return false; }
    box.appendChild(document.createTextNode(o.message || o.code));
    if (o.claims && o.claims.length) {
      box.appendChild(document.createTextNode(" "));
      o.claims.forEach(function (cl, i) {
        if (i > 0) { box.appendChild(document.createTextNode(lang === "ar" ? "، " : ", ")); }
        box.appendChild(el("bdi", { text: labels[cl] || cl }));
      });
    }
    return true;
  }

  // verdict reads a result at a glance.
  function verdict(r) {
    var code = String(r.code || ""), creds = r.credentials || [];
    var all = code + " " + creds.map(function (x) { return x.code + " " + (x.status || ""); }).join(" ");
    if (code === "wallet_declined") { return ["untrusted", t("The person declined.")]; }
    if (r.outcome === "valid") { return ["valid", t("Valid")]; }
    if (/revoked|suspended/.test(all)) { return ["revoked", t("Revoked")]; }
    if (/expired/.test(all)) { return ["expired", t("Expired")]; }
    if (/untrusted|not_authorized|unknown_issuer|unregistered|issuer/.test(all)) { return ["untrusted", t("Untrusted")]; }
    if (r.outcome === "undetermined") { return ["unknown", t("Could not check")]; }
    if (r.outcome === "review") { return ["unknown", t("Needs review")]; }
    return ["untrusted", t("Not valid")];
  }

  function show(r) {
    $("session").hidden = true;
    var v = verdict(r);
    var box = $("verdict"); box.className = "verdict " + v[0]; box.textContent = v[1];
    $("verdict-message").textContent = r.message || "";
    var a = $("assurance"); a.textContent = "";
    var as = r.assurance || null;
    if (as) {
      // Provisional: a status list could not be read; the server's note
      // (in this language) says what the credentials meet if it is confirmed.
      var prov = r.assurance_provisional && r.assurance_provisional_note;
      if (prov) { a.appendChild(el("p", { "class": "notice warn" }, el("strong", { text: r.assurance_provisional_note }))); }
      if (as.met) {
        if (!prov) { a.appendChild(el("p", null, el("strong", { text: t("Profile met: %s", as.met.profile) }))); }
        if (as.eidas) { a.appendChild(el("p", { "class": "muted", text: t("Advice (eIDAS): %s", as.eidas) })); }
        a.appendChild(el("p", { text: t("Distinct issuers: %d", as.met.distinct_issuers) }));
      } else if (as.nearest) {
        a.appendChild(el("p", null, el("strong", { text: t("No profile met. Closest: %s", as.nearest.profile) })));
        var ul = el("ul");
        (as.nearest.missing || []).forEach(function (m) { ul.appendChild(el("li", { text: m.message })); });
        a.appendChild(el("p", { text: t("Missing") + ":" })); a.appendChild(ul);
      }
      if (as.summary) { a.appendChild(el("p", { "class": "muted", text: as.summary })); }
    } else if (r.assurance_note) {
      a.appendChild(el("p", { text: r.assurance_note }));
    }
    var labels = {};
    (r.credentials || []).forEach(function (cr) { Object.keys(cr.claim_labels || {}).forEach(function (k) { labels["/" + k] = cr.claim_labels[k]; }); });
    if (r.over_asking && r.over_asking.claim_labels) { Object.keys(r.over_asking.claim_labels).forEach(function (k) { labels[k] = r.over_asking.claim_labels[k]; }); }
    var ow = el("p", { "class": "notice warn", role: "alert" });
    if (overAsking(ow, r.over_asking, labels)) { a.appendChild(ow); }
    (r.identity_findings || []).forEach(function (f) { a.appendChild(el("p", { "class": "notice warn", text: t("Identity") + ": " + (f.message || f.code) })); });
    if (r.bundle_age) { a.appendChild(el("p", { "class": "muted", text: t("Bundle of %s", r.bundle_age) })); }
    a.hidden = a.children.length === 0;

    var list = $("credentials"); list.textContent = "";
    var creds = (r.credentials || []).slice();
    creds.forEach(function (cr) {
      var labels = cr.claim_labels || {};
      var dl = el("dl", { "class": "pairs" });
      Object.keys(cr.claims || {}).sort().forEach(function (k) {
        var val = cr.claims[k];
        dl.appendChild(el("dt", { text: labels[k] || k }));
        dl.appendChild(el("dd", { text: typeof val === "object" ? JSON.stringify(val) : String(val) }));
      });
      var ok = cr.outcome === "valid";
      list.appendChild(el("li", null, el("strong", { text: cr.type_name || cr.vct || "" }), " ",
        el("span", { "class": "badge " + (ok ? "valid" : "untrusted"), text: ok ? t("Valid") : (cr.message || cr.code) }), el("br"),
        el("span", { "class": "muted", text: t("by %s", iso(cr.issuer_name || cr.issuer || "")) + " · " + t("Issued on %s", date(cr.issued_at)) }), dl));
    });
    var tl = $("result-timeline"); tl.textContent = "";
    creds.filter(function (x) { return x.issued_at; }).sort(function (x, y) { return x.issued_at < y.issued_at ? -1 : 1; }).forEach(function (cr) {
      tl.appendChild(el("li", null, el("strong", { text: date(cr.issued_at) }), " · ", el("bdi", { text: cr.type_name || cr.vct }), " · ", el("bdi", { "class": "muted", text: cr.issuer_name || "" })));
    });
    $("review-done").hidden = true;
    $("c-result").hidden = false;
    $("h-result").focus();
  }

  $("f-review").addEventListener("submit", function (ev) {
    ev.preventDefault(); clear();
    if (!session) { return; }
    var d = document.querySelector('input[name="decision"]:checked').value;
    c.api("POST", base + "/sessions/" + encodeURIComponent(session.session_id) + "/review", { decision: d, reason: $("reason").value, caseworker: $("caseworker").value })
      .then(function (out) {
        var p = $("review-done"); p.textContent = t("Decision recorded.") + " " + (out.decision === "accept" ? t("accepted") : t("rejected")); p.hidden = false;
      }, fail);
  });
  $("again").addEventListener("click", function () { polling++; session = null; $("c-result").hidden = true; $("session").hidden = true; $("purpose").focus(); });

  // ---- offline: a proximity code ----
  var challenge = Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(4)), function (b) { return ("0" + (b % 100)).slice(-2); }).join("");
  $("challenge").value = challenge;
  function postCheck(blob) {
    return fetch(base + "/check?challenge=" + encodeURIComponent(challenge) + "&lang=" + encodeURIComponent(lang), {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "image/png", "X-CSRF-Token": c.token, Accept: "application/json" }, body: blob
    }).then(function (res) { return res.json().then(function (b) { if (!res.ok) { throw b; } return b; }); });
  }
  function checkImage(blob) {
    clear();
    postCheck(blob).then(function (r) { session = null; show(r); }, fail);
  }
  $("f-offline").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = $("o-photo").files[0];
    if (!f) { $("o-photo").focus(); return; }
    checkImage(f);
  });
  // The camera: with the browser's BarcodeDetector a frame is sent once
  // it sees a code; without one (Firefox, Linux chromium) a frame about
  // every second, until the server finds a code in one.
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    $("o-camera-box").hidden = false;
    $("o-camera-start").addEventListener("click", function () {
      var video = $("o-camera");
      var stop = function () { if (stream) { stream.getTracks().forEach(function (tr) { tr.stop(); }); stream = null; } video.srcObject = null; video.hidden = true; };
      var frame = function (then) {
        var canvas = document.createElement("canvas");
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        canvas.getContext("2d").drawImage(video, 0, 0);
        canvas.toBlob(then, "image/png");
      };
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
        stream = s; video.srcObject = s; video.hidden = false;
        return video.play().then(function () {
          if ("BarcodeDetector" in window) {
            var det = new window.BarcodeDetector({ formats: ["qr_code"] });
            var tick = function () {
              if (!stream) { return; }
              det.detect(video).then(function (codes) {
                if (codes.length === 0) { setTimeout(tick, 300); return; }
                frame(function (blob) { stop(); checkImage(blob); });
              }, function () { setTimeout(tick, 500); });
            };
            tick();
            return;
          }
          var poll = function () {
            if (!stream) { return; }
            if (!video.videoWidth) { setTimeout(poll, 400); return; }
            frame(function (blob) {
              postCheck(blob).then(function (r) { stop(); clear(); session = null; show(r); }, function (e) {
                if (e && e.code === "qr_unreadable") { setTimeout(poll, 1000); return; }
                stop(); fail(e);
              });
            });
          };
          poll();
        });
      }).catch(function () { fail({ message: t("Something went wrong. Please try again.") }); });
    });
  }
})();
