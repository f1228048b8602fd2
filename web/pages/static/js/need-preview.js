/* "Who could help", live: as the need form's fields change, post the fields the count depends
   on (never the title, description or address) and show the answer. Without JavaScript the
   form's "Check who could help" button does the same with a page load. */
(function () {
  "use strict";
  var panel = document.getElementById("preview-panel");
  if (!panel || !window.fetch || !window.FormData) {
    return;
  }
  var form = panel.closest("form");
  var out = document.getElementById("preview");
  var wanted = /^(csrf_token|need_id|group|skills|postcode|when_kind|date|start|end|remote_ok|weekly-\d+-(weekday|start|end))$/;
  var timer = null;
  var last = null;

  function fields() {
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (wanted.test(key) && typeof value === "string") {
        body.append(key, value);
      }
    });
    return body;
  }

  function update() {
    var body = fields();
    var key = body.toString();
    if (key === last) {
      return;
    }
    last = key;
    panel.setAttribute("aria-busy", "true");
    fetch(panel.getAttribute("data-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (answer) {
        if (answer && key === last) {
          out.textContent = answer.message;
          panel.setAttribute("data-volunteers", answer.volunteers === null ? "" : String(answer.volunteers));
        }
      })
      .catch(function () { /* the button still works */ })
      .then(function () { panel.removeAttribute("aria-busy"); });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 300);
  }

  form.addEventListener("change", later);
  form.addEventListener("input", later);
  update();
})();
