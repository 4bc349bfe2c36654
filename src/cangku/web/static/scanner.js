/* cangku: the stock operation pages with a barcode scanner (a keyboard wedge: it types the
 * code and presses Enter). Loaded as a file (the Content-Security-Policy allows no inline
 * script). Without this script the page still works: Enter presses the first button (Check)
 * and the server reads the scan field the same way.
 *
 * - the cursor starts in the scan field; a scan (Enter) is sent to the server, which says what
 *   it names (item, box barcode, GS1 string, location, lot) and fills the fields;
 * - the cursor then moves to the field still to type (the quantity), else stays for the next
 *   scan; Enter in a typed field posts the form once it is complete;
 * - the Check box (item, unit, quantity in the base unit) follows every change;
 * - success and error show as a colour flash, with an optional beep (Web Audio, no files).
 */
(function () {
  "use strict";

  var form = document.getElementById("operation-form");
  var scan = document.getElementById("scan");
  if (!form || !scan || !form.dataset.scanUrl) {
    return;
  }
  var url = form.dataset.scanUrl;
  var statusLine = document.getElementById("scan-status");
  var resolvedBox = document.getElementById("resolved-box");
  var postButton = document.getElementById("post-button");
  var soundBox = document.getElementById("scan-sound");
  var GS = "\u001d";
  var SOUND_KEY = "cangku.scanner.sound";
  var CHECKED_FIELDS = ["item", "quantity", "unit"];
  var queue = Promise.resolve();
  var pending = 0;
  var checkTimer = null;
  var audio = null;
  // a scanner types much faster than a person: SCANNER_MIN_KEYS keys or more, on average
  // less than SCANNER_AVERAGE_MS apart (none more than SCANNER_GAP_MS), then Enter, are a scan
  // even when the cursor is in another field
  var SCANNER_GAP_MS = 120;
  var SCANNER_AVERAGE_MS = 40;
  var SCANNER_MIN_KEYS = 6;
  var burst = { target: null, before: "", keys: "", first: 0, last: 0 };
  // the number grammar of quantities (domain/quantities.py)
  var NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;

  // ------------------------------------------------------------ feedback
  function soundOn() {
    return soundBox !== null && soundBox.checked;
  }

  function beep(ok) {
    if (!soundOn()) {
      return;
    }
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) {
      return;
    }
    try {
      audio = audio || new Context();
      if (audio.state === "suspended") {
        audio.resume();
      }
      var tones = ok ? [[1320, 0, 0.08]] : [[220, 0, 0.14], [180, 0.18, 0.2]];
      tones.forEach(function (tone) {
        var oscillator = audio.createOscillator();
        var gain = audio.createGain();
        var start = audio.currentTime + tone[1];
        oscillator.type = ok ? "sine" : "square";
        oscillator.frequency.value = tone[0];
        gain.gain.setValueAtTime(0.15, start);
        gain.gain.exponentialRampToValueAtTime(0.001, start + tone[2]);
        oscillator.connect(gain).connect(audio.destination);
        oscillator.start(start);
        oscillator.stop(start + tone[2] + 0.02);
      });
    } catch (error) {
      // no sound on this device: the colour flash says it all
    }
  }

  function signal(ok, message) {
    document.body.classList.remove("scan-ok", "scan-error");
    void document.body.offsetWidth; // restart the flash animation
    document.body.classList.add(ok ? "scan-ok" : "scan-error");
    if (statusLine && message !== undefined) {
      statusLine.textContent = message;
      statusLine.className = "scan-status " + (ok ? "is-ok" : "is-error");
    }
    beep(ok);
  }

  // ------------------------------------------------------------ fields
  function field(name) {
    var element = form.elements.namedItem(name);
    return element && element.tagName ? element : null;
  }

  function focusField(name) {
    var target = name === "scan" ? scan : field(name);
    if (target) {
      target.focus();
      if (typeof target.select === "function") {
        target.select();
      }
    }
  }

  function firstInvalid() {
    var elements = form.querySelectorAll("input, select, textarea");
    for (var i = 0; i < elements.length; i++) {
      if (elements[i].name !== "scan" && !elements[i].checkValidity()) {
        return elements[i];
      }
    }
    return null;
  }

  function applyValues(values) {
    Object.keys(values).forEach(function (name) {
      if (name === "scan") {
        return;
      }
      var element = field(name);
      if (element && element.value !== values[name]) {
        element.value = values[name];
      }
    });
  }

  function describe(values) {
    var parts = [];
    Object.keys(values).forEach(function (name) {
      var element = field(name);
      if (name !== "scan" && element && values[name] && element.dataset.before !== values[name]) {
        parts.push(values[name]);
      }
    });
    return parts.join(" · ");
  }

  function ask(text) {
    var data = new FormData(form);
    data.set("scan", text);
    data.delete("preview");
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return { ok: false, error: response.status + " " + response.statusText };
        });
    });
  }

  function showResolved(answer) {
    if (resolvedBox && typeof answer.resolved === "string") {
      resolvedBox.innerHTML = answer.resolved; // server-rendered and escaped (Jinja)
    }
  }

  // ------------------------------------------------------------ scans
  function remember() {
    Array.prototype.forEach.call(form.elements, function (element) {
      if (element.name) {
        element.dataset.before = element.value;
      }
    });
  }

  function readScan(text) {
    pending += 1;
    queue = queue
      .then(function () {
        remember();
        return ask(text);
      })
      .then(function (answer) {
        pending -= 1;
        if (!answer.ok) {
          signal(false, answer.error || "?");
          if (pending === 0 && !scan.value) {
            scan.value = text;
            scan.select();
          }
          return;
        }
        var filled = describe(answer.values);
        applyValues(answer.values);
        showResolved(answer);
        signal(!answer.error, answer.error || filled);
        if (pending === 0 && !scan.value) {
          focusField(answer.focus);
        }
      })
      .catch(function () {
        pending -= 1;
        signal(false, statusLine ? statusLine.dataset.offline || "offline" : "offline");
      });
  }

  function check() {
    if (pending > 0 || fastTyping()) {
      return; // a scan is on its way: it brings its own check
    }
    ask("").then(function (answer) {
      if (answer.ok) {
        showResolved(answer);
        if (answer.error && statusLine) {
          statusLine.textContent = answer.error;
          statusLine.className = "scan-status is-error";
        }
      }
    });
  }

  function post() {
    var invalid = firstInvalid();
    if (invalid) {
      invalid.focus();
      if (typeof invalid.reportValidity === "function") {
        invalid.reportValidity();
      }
      return;
    }
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(postButton);
    } else {
      postButton.click();
    }
  }

  function track(event) {
    var now = Date.now();
    if (burst.target !== event.target || now - burst.last > SCANNER_GAP_MS) {
      burst = { target: event.target, before: event.target.value, keys: "", first: now, last: now };
    }
    burst.keys += event.key;
    burst.last = now;
  }

  function fastTyping(least) {
    var keys = burst.keys.length;
    return (
      burst.target !== null &&
      keys >= (least || 3) &&
      (burst.last - burst.first) / (keys - 1) <= SCANNER_AVERAGE_MS
    );
  }

  function typedSinceFocus(target) {
    var before = target.dataset.focusValue || "";
    return target.value.indexOf(before) === 0 ? target.value.slice(before.length) : target.value;
  }

  // what was scanned into a field the cursor happened to be in, or null: keys at scanner
  // speed, or (in the quantity) text that is no number at all
  function scannedInto(target) {
    if (
      burst.target === target &&
      fastTyping(SCANNER_MIN_KEYS) &&
      Date.now() - burst.last <= SCANNER_GAP_MS
    ) {
      return { text: burst.keys, restore: burst.before };
    }
    var typed = typedSinceFocus(target);
    if (target.name === "quantity" && typed.length >= 4 && !NUMBER.test(typed.trim())) {
      return { text: typed, restore: target.dataset.focusValue || "" };
    }
    return null;
  }

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target !== scan && target.tagName === "INPUT" && event.key.length === 1) {
      track(event);
    }
    if (target === scan && event.ctrlKey && (event.key === "]" || event.code === "BracketRight")) {
      // some scanners send GS1's group separator (FNC1) as Ctrl+]
      event.preventDefault();
      var at = scan.selectionStart || scan.value.length;
      scan.value = scan.value.slice(0, at) + GS + scan.value.slice(scan.selectionEnd || at);
      return;
    }
    if (event.key !== "Enter" || event.isComposing) {
      return;
    }
    if (target.tagName === "TEXTAREA" || target.tagName === "BUTTON" || target.tagName === "A") {
      return;
    }
    event.preventDefault();
    if (target === scan) {
      var text = scan.value;
      if (text.trim()) {
        scan.value = "";
        readScan(text);
      } else if (pending === 0) {
        post();
      }
      return;
    }
    var scanned = scannedInto(target);
    if (scanned) {
      // a scan typed into a field the cursor happened to be in: put the field back, read it
      window.clearTimeout(checkTimer);
      target.value = scanned.restore;
      burst.target = null;
      readScan(scanned.text);
      return;
    }
    if (pending === 0) {
      post();
    }
  });

  form.addEventListener("focusin", function (event) {
    if (event.target !== scan && event.target.tagName === "INPUT") {
      event.target.dataset.focusValue = event.target.value;
    }
  });

  CHECKED_FIELDS.forEach(function (name) {
    var element = field(name);
    if (element) {
      element.addEventListener("input", function () {
        window.clearTimeout(checkTimer);
        checkTimer = window.setTimeout(check, 350);
      });
    }
  });

  // ------------------------------------------------------------ start
  if (soundBox) {
    soundBox.checked = window.localStorage.getItem(SOUND_KEY) !== "off";
    soundBox.addEventListener("change", function () {
      window.localStorage.setItem(SOUND_KEY, soundBox.checked ? "on" : "off");
      if (soundBox.checked) {
        beep(true);
      }
    });
  }
  var main = document.querySelector("main");
  if (main && main.querySelector(".flash-error")) {
    signal(false);
  } else if (main && main.querySelector(".flash-success")) {
    signal(true);
  }
  // the page's autofocus (the scan field, or the field the server says comes next) wins
  if (!form.querySelector("[autofocus]") && document.activeElement === document.body) {
    scan.focus();
  }
})();
