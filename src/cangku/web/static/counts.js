/* cangku: the count scan screen. Loaded as a file (the Content-Security-Policy allows no
 * inline script). The screen works without it: each Enter of the scanner sends the form and
 * the server asks for what is missing. This only puts the cursor in the field asked for, the
 * quantity selected to type over (outbound.js, loaded beside it, flashes the page green after
 * a recorded count and red after a refusal).
 */
(function () {
  "use strict";

  var form = document.getElementById("count-scan");
  var focus = form && document.getElementById("count-" + (form.getAttribute("data-focus") || ""));
  if (focus) {
    focus.focus();
    if (focus.select) {
      focus.select();
    }
  }
})();
