// 批量同意 in 待办 (templates/inbox/_batch_*.html): 全选本页, the 「已选 N 项」 count of the sticky bar,
// 取消选择, and closing the batch panel. The bar shows itself through CSS (:has a ticked card);
// the server checks the batch again in full.
(function () {
  "use strict";

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input[data-dj-batch-item]"));
  }

  function panel() {
    return document.getElementById("batch-panel");
  }

  function update() {
    var all = boxes();
    var picked = all.filter(function (b) { return b.checked; }).length;
    document.querySelectorAll("[data-dj-batch-count]").forEach(function (el) { el.textContent = picked; });
    var selectAll = document.querySelector("input[data-dj-batch-all]");
    if (selectAll) {
      selectAll.checked = all.length > 0 && picked === all.length;
      selectAll.indeterminate = picked > 0 && picked < all.length;
      selectAll.disabled = all.length === 0;
    }
  }

  function untickAll() {
    boxes().forEach(function (b) { b.checked = false; });
    update();
  }

  // A prepared form lists the requests ticked when it was opened: a new selection needs a new form.
  function dropStaleForm() {
    var p = panel();
    if (p && p.querySelector("[data-dj-batch-form]")) p.innerHTML = "";
  }

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches && t.matches("input[data-dj-batch-all]")) {
      boxes().forEach(function (b) { b.checked = t.checked; });
    }
    if (t.matches && t.matches("input[data-dj-batch-all], input[data-dj-batch-item]")) {
      dropStaleForm();
      update();
    }
  });

  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-dj-batch-clear]")) {
      untickAll();
      dropStaleForm();
    } else if (e.target.closest("[data-dj-batch-close]")) {
      var p = panel();
      if (p) p.innerHTML = "";
    }
  });

  // The results are in: the approved cards were replaced (out of band); start a new selection.
  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (target && target.id === "batch-panel" && target.querySelector("[data-dj-batch-result]")) untickAll();
    else update();
  });
  document.addEventListener("htmx:oobAfterSwap", update);
  document.addEventListener("DOMContentLoaded", update);
})();
