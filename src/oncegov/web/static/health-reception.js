// Reception desk (/health/reception): keep the scan input ready for the next scan. htmx
// focuses the swapped-in input (it has autofocus); a value kept after an error is selected too,
// so that the next scan replaces it instead of being appended to it.
(function () {
  "use strict";
  function ready() {
    var input = document.getElementById("scan");
    if (!input) {
      return;
    }
    input.focus();
    if (input.value) {
      input.select();
    }
  }
  document.addEventListener("DOMContentLoaded", ready);
  document.addEventListener("htmx:afterSettle", ready);
})();
