/* Small behaviours of the public site and portal, bound from data attributes because the
   Content-Security-Policy (script-src 'self') runs no inline script and no on*= handler.
   - <select data-autosubmit>: submit its form when the choice changes;
   - <button data-print>: open the print dialog;
   - <table class="card-table">: label cells from the column headers (cards below 640 px). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });
  // <table class="card-table">: below 640 px each row is a card (site.css); a cell without its own
  // data-label is labelled with its column's header text.
  function labelCardTables() {
    document.querySelectorAll("table.card-table").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.cells, function (cell, i) {
          if (!cell.hasAttribute("data-label") && heads[i] && cell.colSpan === 1) {
            cell.setAttribute("data-label", heads[i]);
          }
        });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", labelCardTables);
  } else {
    labelCardTables();
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print]") : null;
    if (target) {
      window.print();
    }
  });
})();
