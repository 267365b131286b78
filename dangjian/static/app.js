// Small behaviours without inline scripts (CSP: script-src 'self').
(function () {
  function duesFor(form) {
    var holder = document.getElementById("member-dues");
    if (!holder) return null;
    var table = JSON.parse(holder.dataset.dues || "{}");
    var select = form.querySelector("[name=member_id]");
    return select ? table[select.value] : null;
  }
  function sync(form) {
    var dues = duesFor(form);
    var holder = document.getElementById("member-dues");
    if (holder && dues) holder.textContent = "¥" + Number(dues).toFixed(2);
    var full = form.querySelector("input[name=mode][value=full]");
    var amount = form.querySelector("[name=monthly_amount]");
    if (full && amount && dues) {
      if (full.checked) { amount.value = Number(dues).toFixed(2); amount.readOnly = true; }
      else { amount.readOnly = false; }
    }
  }
  function init(root) {
    (root || document).querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[name=mode]") || form.dataset.djInit) return;
      form.dataset.djInit = "1";
      form.addEventListener("change", function () { sync(form); });
      sync(form);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();
