// The 慰问金 form (templates/condolence/form.html): the amount defaults to the category's standard,
// the 超标准理由 shows when the amount is above it, 家属 fields show when the payee is a family member
// (always for 亡故), and a 直属党支部 member is school-funded. A convenience only: the server checks
// every rule again. Loaded by the form page itself; safe to load twice (htmx boosted navigation).
(function () {
  "use strict";
  if (window.djCondolence) return;
  window.djCondolence = true;

  function yuan(n) {
    return "¥" + n.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function sync(form, changed) {
    var standards = JSON.parse(form.dataset.standards || "{}");
    var direct = JSON.parse(form.dataset.direct || "[]");
    var category = form.querySelector("[name=category]");
    var amount = form.querySelector("[name=amount]");
    var std = category ? standards[category.value] : undefined;
    var hint = document.getElementById("standard-hint");
    if (hint) {
      hint.textContent = std !== undefined ? "本类别慰问标准 " + yuan(Number(std))
        : (category && category.value ? "组织部尚未设置该类别的慰问标准" : "");
    }
    if (amount && changed === "category" && std !== undefined) {
      var value = amount.value.trim();
      if (value === "" || value === form.dataset.lastStandard) amount.value = std;
    }
    form.dataset.lastStandard = std !== undefined ? std : "";

    var over = form.querySelector("[data-cd-over]");
    if (over && amount) {
      var n = /^\d+(\.\d{1,2})?$/.test(amount.value.trim()) ? Number(amount.value) : null;
      over.hidden = !over.querySelector(".is-invalid") && !(std !== undefined && n !== null && n > Number(std));
    }

    var death = category && category.value === "death";
    var member = form.querySelector("input[name=payee_kind][value=member]");
    var family = form.querySelector("input[name=payee_kind][value=family]");
    if (member && family) {
      // 亡故 switches to the family; leaving 亡故 switches back, unless the user chose the family.
      if (death && !family.checked) { family.checked = true; form.dataset.cdForcedFamily = "1"; }
      if (!death && form.dataset.cdForcedFamily) { member.checked = true; delete form.dataset.cdForcedFamily; }
      if (family.checked && changed === "payee_kind") delete form.dataset.cdForcedFamily;
      member.disabled = death;
      var fields = form.querySelector("[data-cd-family]");
      if (fields) fields.hidden = !family.checked && !fields.querySelector(".is-invalid");
    }

    var select = form.querySelector("[name=member_id]");
    var school = form.querySelector("input[name=funding_source][value=school]");
    var unit = form.querySelector("input[name=funding_source][value=unit]");
    if (select && school && unit) {
      var isDirect = direct.indexOf(Number(select.value)) >= 0;
      if (isDirect) school.checked = true;
      unit.disabled = isDirect;
    }
  }

  function init(root) {
    var form = (root || document).querySelector ? (root || document).querySelector("#condolence-form") : null;
    if (!form && root && root.id === "condolence-form") form = root;
    if (!form || form.dataset.cdInit) return;
    form.dataset.cdInit = "1";
    form.addEventListener("change", function (e) { sync(form, e.target.name); });
    form.addEventListener("input", function (e) { sync(form, e.target.name === "category" ? "category" : "input"); });
    sync(form, "init");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();
