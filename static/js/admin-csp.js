/* Admin pages under the Content-Security-Policy (script-src 'self'): third-party templates that
   still carry an inline on*= handler get it bound here instead (the attribute itself is ignored).
   - django-import-export's export form: the "Select all" toggle calls onSelectToggleChange
     (defined by import_export/export_selectable_fields.js). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("input.select-toggle[onchange]") &&
        typeof window.onSelectToggleChange === "function") {
      window.onSelectToggleChange(event);
    }
  });
})();
