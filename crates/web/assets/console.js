// ppetrace consoles: progressive enhancement only. Every page works without this
// script. Where the browser has the BarcodeDetector API and a camera, the receiving
// form gets a "scan with the camera" button that appends each QR code it reads to
// the codes box (one per line); otherwise nothing changes and a scanner or the
// keyboard types into the box.
(function () {
  "use strict";
  var box = document.getElementById("camera");
  var codes = document.getElementById("codes");
  if (!box || !codes || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
    return;
  }
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = box.dataset.start;
  var status = document.createElement("p");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  var video = document.createElement("video");
  video.setAttribute("playsinline", "");
  video.muted = true;
  video.hidden = true;
  video.className = "camera-view";
  box.appendChild(button);
  box.appendChild(video);
  box.appendChild(status);
  var stream = null;
  var seen = {};
  var detector = null;

  function stop() {
    if (stream) {
      stream.getTracks().forEach(function (t) { t.stop(); });
    }
    stream = null;
    video.hidden = true;
    button.textContent = box.dataset.start;
  }

  function scan() {
    if (!stream) { return; }
    detector.detect(video).then(function (found) {
      found.forEach(function (c) {
        var v = (c.rawValue || "").trim();
        if (v && !seen[v]) {
          seen[v] = true;
          codes.value = (codes.value.trim() ? codes.value.trim() + "\n" : "") + v;
          status.textContent = box.dataset.added + " " + v;
        }
      });
    }).catch(function () {}).then(function () {
      if (stream) { setTimeout(scan, 250); }
    });
  }

  button.addEventListener("click", function () {
    if (stream) { stop(); return; }
    BarcodeDetector.getSupportedFormats().then(function (formats) {
      var want = ["qr_code", "data_matrix", "code_128"].filter(function (f) { return formats.indexOf(f) >= 0; });
      detector = new BarcodeDetector({ formats: want.length ? want : undefined });
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      button.textContent = box.dataset.stop;
      return video.play();
    }).then(scan).catch(function (e) {
      stop();
      status.textContent = String(e && e.message ? e.message : e);
    });
  });
})();
