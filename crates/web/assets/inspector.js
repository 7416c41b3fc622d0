// ppetrace inspector console: sign an inspection record in the browser
// (progressive enhancement; without it the inspector signs elsewhere and pastes
// the signature). The inspector picks their Ed25519 key file — PKCS#8 PEM as
// `openssl genpkey -algorithm ed25519` writes it, or the 32-byte seed in hex
// (64 digits; 128 digits = seed then public key) — and WebCrypto signs exactly the
// record the form will send. The key must be the inspector's registered key (the
// page carries its public half). The key is in no form field, never sent with a
// request and never stored; the file input is cleared once it has been read.
(function () {
  "use strict";
  var box = document.getElementById("sign-here");
  var subtle = window.crypto && window.crypto.subtle;
  if (!box || !subtle || !window.TextEncoder || !window.atob) {
    return; // WebCrypto exists only in secure contexts (https, localhost)
  }
  var L = box.dataset;
  var file = document.getElementById("key-file");
  var button = document.getElementById("sign-button");
  var status = document.getElementById("sign-status");
  var form = document.querySelector("form[action^='/console/inspector/file']");
  var record = form && form.querySelector("input[name=record]");
  var signature = form && form.querySelector("input[name=signature]");
  if (!record || !signature) {
    return;
  }
  box.hidden = false;

  // PKCS#8 (RFC 8410) of an Ed25519 seed: the fixed prefix, then the 32 bytes.
  var PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

  function hex(bytes) {
    return Array.prototype.map.call(new Uint8Array(bytes), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function fromHex(h) {
    var out = new Uint8Array(h.length / 2);
    for (var i = 0; i < out.length; i++) {
      out[i] = parseInt(h.substr(i * 2, 2), 16);
    }
    return out;
  }

  function fromB64(s) {
    var bin = atob(s.replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, ""));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out;
  }

  function pkcs8(seed) {
    var out = new Uint8Array(PREFIX.length + 32);
    out.set(PREFIX, 0);
    out.set(seed, PREFIX.length);
    return out;
  }

  // The key file's text → PKCS#8 DER, or null when it is no Ed25519 key we read.
  function der(text) {
    var pem = /-----BEGIN PRIVATE KEY-----([\s\S]*?)-----END PRIVATE KEY-----/.exec(text);
    if (pem) {
      var d = fromB64(pem[1]);
      var plain = d.length === 48 && PREFIX.every(function (b, i) { return d[i] === b; });
      return plain ? pkcs8(d.subarray(16)) : d; // longer forms (v2 with the public key) as they are
    }
    var h = text.trim().toLowerCase();
    if (/^[0-9a-f]{64}$/.test(h) || /^[0-9a-f]{128}$/.test(h)) {
      return pkcs8(fromHex(h.slice(0, 64)));
    }
    return null;
  }

  function fail(msg) {
    var e = new Error(msg);
    e.shown = true;
    throw e;
  }

  button.addEventListener("click", function () {
    var picked = file.files && file.files[0];
    file.value = "";
    status.textContent = "";
    if (!picked) {
      status.textContent = L.noKey;
      return;
    }
    var key = null;
    picked.text().then(function (text) {
      var d = der(text);
      if (!d) {
        fail(L.badKey);
      }
      return subtle.importKey("pkcs8", d, { name: "Ed25519" }, true, ["sign"]).catch(function (e) {
        fail(e && e.name === "NotSupportedError" ? L.unsupported : L.badKey);
      });
    }).then(function (k) {
      key = k;
      return subtle.exportKey("jwk", k);
    }).then(function (jwk) {
      var pub = hex(fromB64(jwk.x || ""));
      if (pub !== String(L.publicKey || "").toLowerCase()) {
        fail(L.wrongKey + " " + pub);
      }
      return subtle.sign({ name: "Ed25519" }, key, new TextEncoder().encode(record.value));
    }).then(function (sig) {
      signature.value = hex(sig);
      status.textContent = L.signed;
    }).catch(function (e) {
      signature.value = "";
      status.textContent = e && e.shown ? e.message : L.badKey + " (" + (e && e.message ? e.message : e) + ")";
    }).then(function () {
      key = null;
    });
  });
})();
