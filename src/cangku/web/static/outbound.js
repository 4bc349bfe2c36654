/* cangku: the picking screen. Loaded as a file (the Content-Security-Policy allows no inline
 * script). The screen works without it: Enter sends the form, and the server asks for the bin
 * or the lot still missing. This only
 * - moves on with Enter (a keyboard-wedge scanner ends each scan with it): the bin to the lot,
 *   the lot to the quantity (selected, to type over), the quantity sends the form;
 * - asks for the reason when less than shown is typed; and
 * - flashes the page green after a good pick and red after a refusal (scanner.css).
 */
(function () {
  "use strict";

  var form = document.getElementById("pick-form");
  if (form) {
    var quantity = document.getElementById("pick-quantity");
    var reason = document.getElementById("pick-reason");
    var planned = quantity ? parseFloat(quantity.defaultValue) : NaN;
    form.querySelectorAll("input[data-next]").forEach(function (field) {
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
    if (quantity && reason) {
      var mark = function () {
        var typed = parseFloat(quantity.value);
        var short = !isNaN(typed) && !isNaN(planned) && typed < planned;
        reason.parentNode.classList.toggle("is-asked", short);
        reason.required = short;
      };
      quantity.addEventListener("input", mark);
      quantity.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && reason.required && !reason.value) {
          event.preventDefault();
          reason.focus();
        }
      });
      mark();
    }
    var focus = document.getElementById("pick-" + (form.getAttribute("data-focus") || ""));
    if (focus && document.activeElement !== focus) {
      focus.focus();
      if (focus.select && focus.id === "pick-quantity") {
        focus.select();
      }
    }
  }
  var main = document.querySelector("main");
  if (!main) {
    return;
  }
  if (main.querySelector(".flash-error")) {
    document.body.classList.add("scan-error");
  } else if (main.querySelector(".flash-success")) {
    document.body.classList.add("scan-ok");
  }
})();
