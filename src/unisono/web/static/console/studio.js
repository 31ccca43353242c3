"use strict";
// The studio's small improvements; every page works without them.
// - the schema editor's "Add a variable" button appends an empty row (the page already
//   offers three empty rows without JavaScript);
// - choosing versions on the compare page shows the comparison at once.
// Handlers are delegated from the document, so pages swapped in by htmx need no rebinding.
(function () {
  function reveal(root) {
    root.querySelectorAll(".studio-add-row[hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  document.addEventListener("htmx:load", function (event) { reveal(event.target); });

  document.addEventListener("click", function (event) {
    const button = event.target.closest(".studio-add-row");
    if (!button) return;
    const body = button.closest(".studio-schema").querySelector(".schema-rows");
    const last = body.querySelector(".schema-row:last-child");
    if (!last) return;
    const row = last.cloneNode(true);
    row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    row.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
    body.appendChild(row);
    row.querySelector("input").focus();
  });

  document.addEventListener("change", function (event) {
    const select = event.target.closest(".diff-form select");
    if (select) select.form.requestSubmit();
  });
})();
