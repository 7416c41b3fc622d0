// ppetrace case page: read a fraud-report case in the browser (progressive
// enhancement; the page works without it and shows the `ppetrace mailbox read`
// command). The page embeds each message's and attachment's age ciphertext
// (base64); this script asks for the handler's age identity (a file picked or
// text pasted), decrypts with /assets/age.js (the npm package age-encryption,
// bundled by tools/age-bundle) and shows the plaintext. The identity never leaves
// this page: it is in no form, never sent with a request, never written to any
// storage, and the inputs are cleared as soon as it has been read.
(function () {
  "use strict";
  var box = document.getElementById("decrypt");
  var age = window.ppetraceAge;
  if (!box || !age || !window.TextDecoder || !window.atob || !window.Blob) {
    return;
  }
  var L = box.dataset;
  var file = document.getElementById("identity-file");
  var pasted = document.getElementById("identity-text");
  var button = document.getElementById("decrypt-button");
  var forget = document.getElementById("forget-button");
  var status = document.getElementById("decrypt-status");
  var urls = [];
  box.hidden = false;

  function bytes(b64) {
    var s = atob(b64.replace(/\s+/g, ""));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) {
      out[i] = s.charCodeAt(i);
    }
    return out;
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) {
      e.textContent = String(text); // never innerHTML: the reporter wrote this
    }
    if (cls) {
      e.className = cls;
    }
    return e;
  }

  function identityIn(text) {
    var lines = String(text).split(/\r?\n/);
    for (var i = 0; i < lines.length; i++) {
      var l = lines[i].trim();
      if (l.indexOf("AGE-SECRET-KEY-") === 0) {
        return l;
      }
    }
    return null;
  }

  function readIdentity() {
    var text = pasted.value;
    var picked = file.files && file.files[0];
    // Whatever happens next, the key is no longer in the page's inputs.
    pasted.value = "";
    file.value = "";
    if (identityIn(text)) {
      return Promise.resolve(identityIn(text));
    }
    if (picked) {
      return picked.text().then(identityIn);
    }
    return Promise.resolve(null);
  }

  function clear() {
    urls.forEach(function (u) { URL.revokeObjectURL(u); });
    urls = [];
    document.querySelectorAll(".case-message .plaintext, .case-attachment .plaintext").forEach(function (p) {
      p.textContent = "";
    });
  }

  function showMessage(target, kind, plain) {
    var text = new TextDecoder("utf-8", { fatal: false }).decode(plain);
    if (kind === "report") {
      var report = null;
      try {
        report = JSON.parse(text);
      } catch (e) {
        report = null;
      }
      if (report && typeof report.text === "string") {
        target.appendChild(el("pre", report.text, "wrap report-text"));
        var links = report.links || {};
        var dl = el("dl");
        ["code", "gtin", "organization"].forEach(function (k) {
          if (links[k]) {
            dl.appendChild(el("dt", k));
            dl.appendChild(el("dd", links[k]));
          }
        });
        if (dl.childNodes.length) {
          target.appendChild(el("p", L.links));
          target.appendChild(dl);
        }
        return;
      }
    }
    target.appendChild(el("pre", text, "wrap message-text"));
  }

  function showAttachment(box, plain) {
    var view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
    if (plain.length < 4) {
      throw new Error("malformed attachment");
    }
    var len = view.getUint32(0, false);
    var header = JSON.parse(new TextDecoder().decode(plain.subarray(4, 4 + len)));
    var data = plain.subarray(4 + len);
    // Only the last path component; the type is forced to octet-stream so that a
    // same-origin blob: URL can never be rendered as a page.
    var name = String(header.name || "attachment").split(/[\\/]/).pop() || "attachment";
    var url = URL.createObjectURL(new Blob([data], { type: "application/octet-stream" }));
    urls.push(url);
    var p = el("p", name + " (" + data.length + " B, " + (header.content_type || "?") + ", " +
      L.metadata + " " + (header.metadata || "?") + ") ");
    var a = el("a", L.download + " " + name);
    a.href = url;
    a.download = name;
    p.appendChild(a);
    box.appendChild(p);
  }

  function decryptAll(identity) {
    var d = new age.Decrypter();
    d.addIdentity(identity);
    var messages = document.querySelectorAll("pre.ciphertext[data-message]");
    var attachments = document.querySelectorAll("pre.ciphertext[data-attachment]");
    var ok = 0;
    var failed = [];
    var jobs = [];
    messages.forEach(function (pre) {
      var article = pre.closest(".case-message");
      var out = article.querySelector(".plaintext");
      jobs.push(d.decrypt(bytes(pre.textContent), "uint8array").then(function (plain) {
        out.textContent = "";
        showMessage(out, article.dataset.kind, plain);
        ok += 1;
      }, function (e) {
        failed.push("#" + pre.dataset.message + ": " + (e && e.message ? e.message : e));
      }));
    });
    attachments.forEach(function (pre) {
      var holder = pre.closest(".case-attachment");
      var out = holder.querySelector(".plaintext");
      if (!out) {
        out = el("div", null, "plaintext");
        holder.insertBefore(out, holder.querySelector("details"));
      }
      jobs.push(d.decrypt(bytes(pre.textContent), "uint8array").then(function (plain) {
        out.textContent = "";
        showAttachment(out, plain);
      }, function (e) {
        failed.push(pre.dataset.attachment + ": " + (e && e.message ? e.message : e));
      }));
    });
    return Promise.all(jobs).then(function () {
      return { ok: ok, total: messages.length, failed: failed };
    });
  }

  button.addEventListener("click", function () {
    clear();
    var recipient = "";
    readIdentity().then(function (identity) {
      if (!identity) {
        throw new Error(L.noIdentity);
      }
      return age.identityToRecipient(identity).then(function (r) {
        recipient = r;
        return decryptAll(identity);
      });
    }).then(function (r) {
      var known = (L.recipients || "").split(" ").filter(Boolean);
      var msg = L.loaded + " " + recipient + ". " + L.done + " " + r.ok + "/" + r.total + ".";
      if (known.length && known.indexOf(recipient) < 0) {
        msg = L.notRecipient + " " + recipient + ". " + msg;
      }
      if (r.failed.length) {
        msg += " " + L.failed + " " + r.failed.join("; ");
      }
      status.textContent = msg;
    }).catch(function (e) {
      status.textContent = L.failed + " " + (e && e.message ? e.message : e);
    });
  });

  forget.addEventListener("click", function () {
    clear();
    status.textContent = L.forgotten;
  });
})();
