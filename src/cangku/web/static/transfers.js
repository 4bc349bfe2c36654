/* cangku: the transfer screens (receive, resolve). Loaded as a file (the Content-Security-Policy
 * allows no inline script). The screens work without it: Enter sends the form. This only
 * - moves on with Enter from a field that names the next one (a keyboard-wedge scanner ends
 *   each scan with it): a line's bin to its quantity, the quantity to the next line's bin;
 *   the last field sends the form; and
 * - flashes the page red after a refusal (scanner.css).
 */
(function () {
  "use strict";

  document.querySelectorAll(".scan-screen input[data-next]").forEach(function (field) {
    field.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !field.value.trim()) {
        return;
      }
      var next = document.getElementById(field.getAttribute("data-next"));
      if (next) {
        event.preventDefault();
        next.focus();
        if (next.select) {
          next.select();
        }
      }
    });
  });
  var main = document.querySelector("main");
  if (main && main.querySelector(".flash-error")) {
    document.body.classList.add("scan-error");
  }
})();
