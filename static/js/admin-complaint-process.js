/* The complaint process page of the admin (templates/complaints/admin/process.html): show only
   the form rows that belong to the chosen action. The action → field map is rendered with
   json_script (#field-actions), so no inline script is needed under the CSP. */
(function () {
  "use strict";
  var source = document.getElementById("field-actions");
  var select = document.getElementById("id_action");
  if (!source || !select) { return; }
  var map = JSON.parse(source.textContent);
  function sync() {
    Object.keys(map).forEach(function (name) {
      var row = document.querySelector('[data-field="' + name + '"]');
      if (row) { row.hidden = map[name] !== select.value; }
    });
  }
  select.addEventListener("change", sync);
  sync();
})();
