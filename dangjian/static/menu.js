// Disclosure menus (WAI-ARIA "disclosure navigation"): 党建工作 and 更多 in the main navigation, and
// the personal menu under the user's name (templates/base.html). A menu is an element carrying
// data-dj-menu that holds a <button aria-expanded aria-controls> and the list it controls (hidden).
// - click, Enter or Space on the button opens or closes it; ArrowDown/ArrowUp on the button open it
//   on the first/last link;
// - inside: ArrowDown/ArrowUp move between the links, Home/End to the first/last; Escape closes and
//   gives the focus back to the button;
// - a click elsewhere, or the focus leaving the menu, closes it; one menu is open at a time.
// Everything is delegated from the document, so menus in a page htmx swapped in (hx-boost) work too.
(function () {
  "use strict";

  function parts(menu) {
    var button = menu.querySelector("[aria-controls]");
    var list = button && document.getElementById(button.getAttribute("aria-controls"));
    return { button: button, list: list };
  }

  function links(list) {
    return Array.prototype.filter.call(list.querySelectorAll("a[href], button:not([disabled])"), function (el) {
      return el.offsetParent !== null; // the ones shown at this width
    });
  }

  function isOpen(menu) {
    var p = parts(menu);
    return p.button && p.button.getAttribute("aria-expanded") === "true";
  }

  function close(menu, focusButton) {
    var p = parts(menu);
    if (!p.button || !p.list) return;
    p.button.setAttribute("aria-expanded", "false");
    p.list.hidden = true;
    menu.classList.remove("is-open");
    if (focusButton) p.button.focus();
  }

  function closeAll(except) {
    document.querySelectorAll("[data-dj-menu].is-open").forEach(function (menu) {
      if (menu !== except) close(menu, false);
    });
  }

  function open(menu, focus) {
    var p = parts(menu);
    if (!p.button || !p.list) return;
    closeAll(menu);
    p.button.setAttribute("aria-expanded", "true");
    p.list.hidden = false;
    menu.classList.add("is-open");
    var items = links(p.list);
    if (focus === "first" && items.length) items[0].focus();
    if (focus === "last" && items.length) items[items.length - 1].focus();
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-dj-menu] > button[aria-controls]");
    if (button) {
      var menu = button.parentElement;
      if (isOpen(menu)) close(menu, false); else open(menu, null);
      return;
    }
    var inside = e.target.closest && e.target.closest("[data-dj-menu]");
    closeAll(inside);
  });

  document.addEventListener("keydown", function (e) {
    var menu = e.target.closest && e.target.closest("[data-dj-menu]");
    if (!menu) return;
    var p = parts(menu);
    if (!p.button || !p.list) return;
    if (e.target === p.button) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        open(menu, e.key === "ArrowDown" ? "first" : "last");
      } else if (e.key === "Escape" && isOpen(menu)) {
        e.preventDefault();
        close(menu, true);
      }
      return;
    }
    if (!p.list.contains(e.target)) return;
    var items = links(p.list);
    var at = items.indexOf(e.target);
    var next = null;
    if (e.key === "ArrowDown") next = items[(at + 1) % items.length];
    else if (e.key === "ArrowUp") next = items[(at - 1 + items.length) % items.length];
    else if (e.key === "Home") next = items[0];
    else if (e.key === "End") next = items[items.length - 1];
    else if (e.key === "Escape") {
      e.preventDefault();
      close(menu, true);
      return;
    }
    if (next) {
      e.preventDefault();
      next.focus();
    }
  });

  // Tabbing out of an open menu closes it (the focus is somewhere else now).
  document.addEventListener("focusout", function (e) {
    var menu = e.target.closest && e.target.closest("[data-dj-menu].is-open");
    if (menu && e.relatedTarget && !menu.contains(e.relatedTarget)) close(menu, false);
  });

  // A boosted navigation replaces the page: leave no menu open over the old one meanwhile.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && elt.closest && elt.closest("[data-dj-menu]")) closeAll(null);
  });
})();
