/* Small behaviours of the public site and portal, bound from data attributes because the
   Content-Security-Policy (script-src 'self') runs no inline script and no on*= handler.
   - <select data-autosubmit>: submit its form when the choice changes;
   - <button data-print>: open the print dialog. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print]") : null;
    if (target) {
      window.print();
    }
  });
})();
