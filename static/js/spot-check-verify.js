/* /spot-checks/<id>/: check in the browser that SHA-256(seed) equals the commitment published before the draw.
   The seed is 32 bytes written as 64 hex digits; the commitment is SHA-256 of those bytes (spotchecks/draw.py). */
(function () {
  "use strict";

  function hexToBytes(hex) {
    var bytes = new Uint8Array(hex.length / 2);
    for (var i = 0; i < bytes.length; i += 1) {
      bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
    }
    return bytes;
  }

  function bytesToHex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function show(result, kind, text) {
    result.textContent = text;
    result.className = "sc-verify-result notice " + (kind === "match" ? "notice-ok" : "notice-error");
    result.setAttribute("data-outcome", kind);
  }

  function verify(form) {
    var input = form.querySelector("input[name=seed]");
    var result = form.querySelector(".sc-verify-result");
    var seed = input.value.trim().toLowerCase();
    var commitment = (input.getAttribute("data-commitment") || "").toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(seed)) {
      show(result, "invalid", result.getAttribute("data-invalid"));
      return;
    }
    if (!window.crypto || !window.crypto.subtle) {
      show(result, "unsupported", result.getAttribute("data-unsupported"));
      return;
    }
    window.crypto.subtle.digest("SHA-256", hexToBytes(seed)).then(function (digest) {
      var hex = bytesToHex(digest);
      var kind = hex === commitment ? "match" : "mismatch";
      show(result, kind, result.getAttribute("data-" + kind) + " " + result.getAttribute("data-computed") + hex);
    }, function () {
      show(result, "unsupported", result.getAttribute("data-unsupported"));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-sc-verify]");
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        verify(form);
      });
    });
  });
})();
