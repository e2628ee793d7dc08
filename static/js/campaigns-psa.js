/* The PSA report form (templates/campaigns/portal/ad_report.html).
   - "添加点位" clones the row in <template id="placement-template"> (Django's empty_form: __prefix__ is the
     row index, __num__ its number) and raises p-TOTAL_FORMS; without JavaScript the same button posts the
     form and the server returns it with one more row.
   - The share of public-service ads over all rows is shown live; below the quota (data-min-share) the
     warning with its confirmation box appears before the form is submitted. The server checks again. */
(function () {
  "use strict";
  var form = document.querySelector("form.psa-form");
  if (!form) { return; }
  var rows = document.getElementById("placement-rows");
  var template = document.getElementById("placement-template");
  var total = form.querySelector("input[name='p-TOTAL_FORMS']");
  var addButton = document.getElementById("add-placement");
  var output = document.getElementById("psa-share");
  var warning = document.getElementById("psa-share-warning");
  var minShare = parseFloat(form.dataset.minShare || "0");
  var maxRows = parseInt(form.dataset.maxRows || "20", 10);

  function number(input) {
    var n = parseInt(input.value, 10);
    return isNaN(n) || n < 0 ? 0 : n;
  }
  function sum(suffix) {
    var s = 0;
    form.querySelectorAll("input[name^='p-'][name$='-" + suffix + "']").forEach(function (input) {
      if (input.name.indexOf("__prefix__") === -1) { s += number(input); }
    });
    return s;
  }
  function update() {
    var all = sum("total_ads"), psa = sum("psa_ads");
    if (!all) { output.textContent = "—"; warning.hidden = true; return; }
    var share = Math.round(psa * 1000 / all) / 10;
    output.textContent = share + "%";
    warning.hidden = share >= minShare;
  }
  function addRow(event) {
    var count = parseInt(total.value, 10) || 0;
    if (!template || count >= maxRows) { return; }
    event.preventDefault();
    var html = template.innerHTML.replace(/__prefix__/g, String(count)).replace(/__num__/g, String(count + 1));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    while (holder.firstChild) { rows.appendChild(holder.firstChild); }
    total.value = String(count + 1);
    if (count + 1 >= maxRows) { addButton.disabled = true; }
    var first = rows.lastElementChild && rows.lastElementChild.querySelector("select, input");
    if (first) { first.focus(); }
  }
  if (addButton) { addButton.addEventListener("click", addRow); }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
