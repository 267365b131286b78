// Confirmations in the app's own dialog (templates/_confirm_dialog.html) instead of the browser's
// confirm(). htmx announces every request with htmx:confirm and passes the hx-confirm text of the
// element that sends it; we hold the request, ask, and send it only after 确定. 取消 and Esc send nothing.
(function () {
  "use strict";

  var pending = null; // {onOk, returnTo} of the question on screen

  function dialogEl() {
    return document.getElementById("dj-confirm");
  }

  function ask(question, onOk) {
    var dialog = dialogEl();
    if (!dialog || typeof dialog.showModal !== "function") {
      // A page without the dialog (should not happen): still ask, with the browser's own box.
      if (window.confirm(question)) onOk();
      return;
    }
    if (dialog.open) return; // one question at a time; a second click meanwhile sends nothing
    dialog.querySelector(".dj-confirm-text").textContent = question;
    dialog.returnValue = "";
    pending = { onOk: onOk, returnTo: document.activeElement };
    dialog.showModal();
    // The safe answer has the focus: a hurried Enter cancels instead of deciding.
    dialog.querySelector("[data-dj-confirm=cancel]").focus();
  }

  document.addEventListener("htmx:confirm", function (e) {
    var question = e.detail && e.detail.question;
    if (!question) return; // most requests carry no hx-confirm
    e.preventDefault();
    ask(question, function () { e.detail.issueRequest(true); });
  });

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-dj-confirm]");
    var dialog = dialogEl();
    if (button && dialog && dialog.contains(button)) dialog.close(button.dataset.djConfirm);
  });

  // "close" does not bubble: listen in the capture phase. Esc closes with an empty returnValue.
  document.addEventListener("close", function (e) {
    if (e.target !== dialogEl() || !pending) return;
    var done = pending;
    pending = null;
    if (done.returnTo && done.returnTo.isConnected && typeof done.returnTo.focus === "function") {
      done.returnTo.focus();
    }
    if (e.target.returnValue === "ok") done.onOk();
  }, true);

  // Keep Tab inside the dialog (the page behind is inert, but Tab would reach the browser's bar).
  document.addEventListener("keydown", function (e) {
    var dialog = dialogEl();
    if (e.key !== "Tab" || !dialog || !dialog.open) return;
    var buttons = dialog.querySelectorAll("button");
    var first = buttons[0];
    var last = buttons[buttons.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  });
})();
