// Cablegram: small conveniences only. Every page works without this file.
(function () {
  "use strict";

  // "/" moves focus to the search box from elsewhere; typed in a field (the search box
  // included) it is just a slash. Escape leaves the field.
  function isField(el) {
    return !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    var typing = isField(t) || isField(document.activeElement);
    if (ev.key === "/" && !typing && !ev.defaultPrevented && !ev.isComposing && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      var box = document.querySelector("input[data-hotkey='/']");
      if (box) {
        ev.preventDefault();
        box.focus();
        box.select();
      }
    } else if (ev.key === "Escape" && typing && t.blur) {
      t.blur();
    }
  });

  // The version pickers of the diff page compare as soon as one changes.
  var form = document.querySelector("form.diff-form");
  if (form) {
    form.querySelectorAll("select").forEach(function (sel) {
      sel.addEventListener("change", function () { form.submit(); });
    });
  }

  // A paragraph number copies a link to that paragraph.
  document.querySelectorAll("a.para-no").forEach(function (a) {
    a.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(a.href).catch(function () {});
      }
    });
  });
})();
