/* Trợ lý 06 staff console: optional help for browsers with JavaScript. Every action works without it. */
(function () {
  "use strict";
  // After an action, move the focus to its result so that a screen reader reads it first.
  var note = document.querySelector("main .notice");
  if (note) {
    note.setAttribute("tabindex", "-1");
    note.focus();
  }
  // Ask once before irreversible buttons (cancel an announcement, close a question).
  var forms = document.querySelectorAll("form[data-confirm]");
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("submit", function (event) {
      if (!window.confirm(this.getAttribute("data-confirm"))) event.preventDefault();
    });
  }
})();
