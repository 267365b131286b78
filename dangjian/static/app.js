// Small behaviours without inline scripts (CSP: script-src 'self'). Everything here is a
// convenience: the pages work without it, and the server checks every rule again.
(function () {
  "use strict";

  function yuan(n) {
    return "¥" + n.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function parseMonth(value) {
    var m = /^(\d{4})-(\d{2})$/.exec(value || "");
    return m ? Number(m[1]) * 12 + Number(m[2]) - 1 : null;
  }

  // --- the 党费减免 form: dues of the chosen member, 全额免交, a live total, 代申请 upload ---
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
    if (holder && dues) holder.textContent = yuan(Number(dues));
    var full = form.querySelector("input[name=mode][value=full]");
    var amount = form.querySelector("[name=monthly_amount]");
    if (full && amount && dues) {
      if (full.checked) { amount.value = Number(dues).toFixed(2); amount.readOnly = true; }
      else if (amount.readOnly) { amount.readOnly = false; amount.value = ""; }
    }
    var summary = document.getElementById("waiver-summary");
    if (summary && amount) {
      var start = parseMonth((form.querySelector("[name=start_month]") || {}).value);
      var end = parseMonth((form.querySelector("[name=end_month]") || {}).value);
      var each = /^\d+(\.\d{1,2})?$/.test(amount.value.trim()) ? Number(amount.value) : null;
      var text = "";
      if (start !== null && end !== null && end >= start && end - start < 12 && each) {
        var months = end - start + 1;
        text = "共 " + months + " 个月，减免总额 " + yuan(Math.round(each * 100) * months / 100);
      }
      summary.textContent = text;
    }
    var behalf = form.querySelector("[data-dj-behalf-only]");
    var select = form.querySelector("select[name=member_id]");
    if (behalf && select) {
      var self = form.dataset.selfMember;
      var hasError = behalf.querySelector(".is-invalid");
      behalf.hidden = !hasError && self !== "" && select.value === self;
    }
  }

  function counter(area) {
    var max = Number(area.dataset.djCount);
    var out = area.parentNode.querySelector(".dj-count");
    if (!out) {
      out = document.createElement("div");
      out.className = "dj-count";
      out.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", out);
    }
    out.textContent = area.value.length + " / " + max;
  }

  function init(root) {
    root = root || document;
    root.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[name=mode]") || form.dataset.djInit) return;
      form.dataset.djInit = "1";
      form.addEventListener("change", function () { sync(form); });
      form.addEventListener("input", function () { sync(form); });
      sync(form);
    });
    root.querySelectorAll("textarea[data-dj-count]").forEach(function (area) {
      if (area.dataset.djCountInit) return;
      area.dataset.djCountInit = "1";
      area.addEventListener("input", function () { counter(area); });
      counter(area);
    });
  }

  // --- clicks: 常用意见, 收起 an inbox panel, 演示账号 ---
  document.addEventListener("click", function (e) {
    var phrase = e.target.closest("[data-dj-phrase]");
    if (phrase) {
      var area = phrase.closest("form").querySelector("textarea[name=opinion], textarea[name$='-opinion']");
      if (area) {
        area.value = area.value.trim() ? area.value.replace(/\s+$/, "") + phrase.dataset.djPhrase : phrase.dataset.djPhrase;
        area.focus();
      }
      return;
    }
    var close = e.target.closest("[data-dj-close-panel]");
    if (close) {
      var panel = close.closest(".dj-card-panel");
      var card = close.closest(".dj-card");
      if (panel) panel.innerHTML = "";
      if (card) {
        card.classList.remove("is-open");
        var open = card.querySelector(".dj-open-panel");
        if (open) open.focus();
      }
      return;
    }
    var demo = e.target.closest(".dj-demo-fill");
    if (demo) {
      var user = document.getElementById("username");
      var pass = document.getElementById("password");
      if (user && pass) {
        user.value = demo.dataset.username;
        pass.value = demo.dataset.password;
        var submit = user.form.querySelector("[type=submit]");
        if (submit) submit.focus();
      }
    }
  });

  // An inbox card whose panel is open hides its 处理 button.
  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (target && target.classList && target.classList.contains("dj-card-panel")) {
      var card = target.closest(".dj-card");
      if (card) card.classList.toggle("is-open", target.innerHTML.trim() !== "");
    }
  });

  // The badge is updated out of band after each decision; the tab count follows it.
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    var target = e.detail && e.detail.target;
    var badge = document.getElementById("todo-badge");
    if (!target || target.id !== "todo-badge" || !badge) return;
    document.querySelectorAll("[data-dj-todo-count]").forEach(function (el) {
      el.textContent = badge.textContent.trim();
    });
  });

  // --- loading feedback: every htmx request (boosted navigation included) shows the thin bar at
  // the top (#dj-progress in base.html) and marks the region it will replace aria-busy. The bar
  // follows the XHR itself (loadend), so a request whose element left the page cannot leave it on.
  var inflight = 0;

  function showProgress() {
    var bar = document.getElementById("dj-progress");
    if (bar) bar.classList.toggle("htmx-request", inflight > 0);
  }

  document.addEventListener("htmx:beforeRequest", function (e) {
    var d = e.detail || {};
    var target = d.target;
    if (target && target.setAttribute) target.setAttribute("aria-busy", "true");
    if (!d.xhr) return;
    inflight += 1;
    showProgress();
    d.xhr.addEventListener("loadend", function () {
      inflight = Math.max(0, inflight - 1);
      showProgress();
      if (target && target.removeAttribute) target.removeAttribute("aria-busy");
    });
  });

  document.addEventListener("htmx:afterRequest", function (e) {
    var target = e.detail && e.detail.target;
    if (target && target.removeAttribute) target.removeAttribute("aria-busy");
  });

  // A swapped-in page brings a fresh bar: show it again if requests are still under way.
  document.addEventListener("htmx:afterSettle", showProgress);

  function focusFirstError() {
    var bad = document.querySelector(".dj-form .is-invalid");
    if (bad && typeof bad.focus === "function") {
      bad.scrollIntoView({ block: "center" });
      bad.focus({ preventScroll: true });
    }
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); focusFirstError(); });
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();
