/* The merchant look-up on /complaints/new/ (templates/complaints/new.html). Its URL, the ids of
   the query and hidden fields and the translated texts come from data attributes of
   .merchant-search, so the file stays static under script-src 'self'. Results are written
   with textContent only: a merchant name is never parsed as HTML. */
(function () {
  "use strict";
  var box = document.querySelector(".merchant-search[data-search-url]");
  if (!box) { return; }
  var data = box.dataset;
  var btn = document.getElementById("merchant-search-btn");
  var input = document.getElementById(data.inputId);
  var hidden = document.getElementById(data.hiddenId);
  var list = document.getElementById("merchant-results");
  var chosen = document.getElementById("merchant-chosen");
  if (!btn || !input || !hidden || !list || !chosen) { return; }
  function search() {
    var q = input.value.trim();
    if (q.length < 2) { return; }
    fetch(data.searchUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (result) {
        list.textContent = "";
        if (!result.results.length) {
          var none = document.createElement("li");
          none.textContent = data.textNone;
          list.appendChild(none);
        }
        result.results.forEach(function (m) {
          var li = document.createElement("li");
          var b = document.createElement("button");
          b.type = "button"; b.className = "button small";
          b.textContent = m.name + "（" + m.region + " " + m.address + "）";
          b.addEventListener("click", function () {
            hidden.value = m.id; list.textContent = "";
            chosen.hidden = false;
            chosen.textContent = data.textChosen + m.name + (m.odr ? data.textOdr : "");
          });
          li.appendChild(b); list.appendChild(li);
        });
      });
  }
  btn.addEventListener("click", search);
  input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); search(); } });
})();

/* Conditionally required fields (complaints/forms.py CONDITIONAL_REQUIRED): each input carries
   data-required-when="<kinds>" (and data-required-unless-anonymous for a report's phone and consent);
   choosing a type or ticking "anonymous" switches aria-required and the visible "*" mark. Without
   JavaScript the marks shown are those of the type the page was rendered with, and the server checks. */
(function () {
  "use strict";
  var form = document.querySelector("form.complaint-form");
  if (!form) { return; }
  var inputs = form.querySelectorAll("[data-required-when]");
  var anonymous = form.querySelector("input[name='anonymous']");
  function kind() {
    var checked = form.querySelector("input[name='kind']:checked");
    return checked ? checked.value : "";
  }
  function update() {
    var k = kind();
    var anon = anonymous ? anonymous.checked : false;
    inputs.forEach(function (input) {
      var needed = input.dataset.requiredWhen.split(" ").indexOf(k) !== -1;
      if (needed && k === "report" && anon && input.dataset.requiredUnlessAnonymous) { needed = false; }
      if (needed) { input.setAttribute("aria-required", "true"); } else { input.removeAttribute("aria-required"); }
      var mark = form.querySelector("[data-required-mark='" + input.name + "']");
      if (mark) { mark.hidden = !needed; }
    });
  }
  form.addEventListener("change", function (e) {
    if (e.target.name === "kind" || e.target.name === "anonymous") { update(); }
  });
  update();
})();
