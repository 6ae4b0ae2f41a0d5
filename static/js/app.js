// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  // "Copy link" buttons: copy the value of the element they name.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var el = document.getElementById(btn.getAttribute("data-copy"));
      if (!el || !navigator.clipboard) return;
      navigator.clipboard.writeText(el.value || el.textContent).then(function () {
        var done = btn.getAttribute("data-copied");
        if (done) btn.textContent = done;
      });
    });
  });
  // Submit the language switcher as soon as a language is picked; the
  // button stays for those without JavaScript.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });
})();
