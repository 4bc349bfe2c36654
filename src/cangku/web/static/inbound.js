/* cangku: the inbound scanner screens (receiving, put-away). Loaded as a file (the
 * Content-Security-Policy allows no inline script). The screens work without it: a scan is
 * read on the server when Enter sends the form. This only
 * - turns Ctrl+] (how many keyboard-wedge scanners send GS1's group separator) into GS in the
 *   scan field, and
 * - flashes the page green after a good scan or post and red after a refusal (scanner.css).
 */
(function () {
  "use strict";

  var GS = "\u001d";
  var scan = document.getElementById("scan");
  if (scan) {
    scan.addEventListener("keydown", function (event) {
      if (event.ctrlKey && (event.key === "]" || event.code === "BracketRight")) {
        event.preventDefault();
        var at = scan.selectionStart || scan.value.length;
        scan.value = scan.value.slice(0, at) + GS + scan.value.slice(scan.selectionEnd || at);
      }
    });
  }
  var main = document.querySelector("main");
  if (!main) {
    return;
  }
  if (main.querySelector(".flash-error")) {
    document.body.classList.add("scan-error");
  } else if (main.querySelector(".flash-success, .scan-status.is-ok")) {
    document.body.classList.add("scan-ok");
  }
})();
