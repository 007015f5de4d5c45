// zhenggai: the little behaviour the pages need. No inline scripts (a strict CSP comes later).
(function () {
  "use strict";

  // Forms marked .js-busy (uploads, imports): on submit, disable the buttons and show a spinner.
  function busy(form, event) {
    var text = form.getAttribute("data-busy-text") || "正在处理，请稍候…";
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      // A disabled button is not sent; keep its value.
      var keep = document.createElement("input");
      keep.type = "hidden";
      keep.name = submitter.name;
      keep.value = submitter.value;
      form.appendChild(keep);
    }
    form.querySelectorAll("button, input[type=submit]").forEach(function (b) { b.disabled = true; });
    var last = submitter || form.querySelector("button[type=submit]");
    if (last && !form.querySelector(".busy-indicator")) {
      var box = document.createElement("span");
      box.className = "busy-indicator";
      box.setAttribute("role", "status");
      var spin = document.createElement("span");
      spin.className = "spinner-border spinner-border-sm";
      spin.setAttribute("aria-hidden", "true");
      var label = document.createElement("span");
      label.textContent = text;
      box.appendChild(spin);
      box.appendChild(label);
      last.insertAdjacentElement("afterend", box);
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (form.classList.contains("js-busy")) {
      busy(form, event);
    }
  });

  // Pages restored from the back/forward cache: buttons usable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form.js-busy button").forEach(function (b) { b.disabled = false; });
    document.querySelectorAll(".busy-indicator").forEach(function (s) { s.remove(); });
  });

  // The measure list: select all on the page, and count what is selected.
  function updateCount() {
    var n = document.querySelectorAll("input.js-check:checked").length;
    document.querySelectorAll(".js-checked-count").forEach(function (el) { el.textContent = String(n); });
  }
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.classList.contains("js-check-all")) {
      document.querySelectorAll("input.js-check").forEach(function (c) { c.checked = el.checked; });
    }
    if (el.classList.contains("js-check") || el.classList.contains("js-check-all")) {
      updateCount();
    }
  });
  document.addEventListener("DOMContentLoaded", updateCount);
})();
