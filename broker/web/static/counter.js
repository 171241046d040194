/* Antre counter console: live updates, keyboard shortcuts and posts without a reload.
 *
 * The page works without this file: every button is a form that posts normally. With
 * it, the forms post through fetch (with the CSRF token in a header), the page follows
 * the queue through server-sent events, and the keys N/Space, R, S, F, T and P act.
 * No build step and nothing from outside: the content security policy allows only
 * files from this site, so all data comes from data-* attributes.
 */
(function () {
  "use strict";

  var root = document.getElementById("console");
  if (!root) {
    return;
  }
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var messageBox = document.getElementById("message");
  var offlineBox = document.getElementById("offline");
  var transferSelect = document.getElementById("transfer-service");
  // After an action the buttons stay off a little longer than the request takes:
  // on a fast network a double tap would otherwise call two citizens.
  var MIN_BUSY_MS = 800;
  var RETRY_MS = 5000;

  var state = JSON.parse(root.getAttribute("data-live"));
  var busy = false;
  var skippedKey = keyOfSkipped(state.skipped);

  // -- state to page ------------------------------------------------------------------

  function allowed(action) {
    switch (action) {
      case "call_next":
        return !state.paused;
      case "recall":
      case "skip":
      case "finish":
      case "transfer":
        return Boolean(state.serving);
      case "pause":
        return !state.paused && !state.serving;
      case "resume":
        return state.paused;
      default:
        return true;
    }
  }

  function setText(id, text) {
    var element = document.getElementById(id);
    if (element) {
      element.textContent = text;
    }
  }

  function setHidden(id, hidden) {
    var element = document.getElementById(id);
    if (element) {
      element.hidden = hidden;
    }
  }

  function render() {
    var serving = state.serving;
    setText("serving-number", serving ? serving.number : root.getAttribute("data-nobody"));
    var number = document.getElementById("serving-number");
    if (number) {
      // "Belum ada" is words, not a number: not in the giant font.
      number.classList.toggle("is-empty", !serving);
    }
    setText("serving-service", serving ? serving.service_name : "");
    setHidden("serving-priority", !(serving && serving.priority));
    setHidden("serving-called", !serving);
    setText("serving-called-at", serving && serving.called_at ? serving.called_at : "");
    setHidden("serving-recalls", !serving);
    setText("serving-recalls-count", serving ? String(serving.recalls) : "0");
    setHidden("paused-banner", !state.paused);

    state.services.forEach(function (service) {
      var cells = root.querySelectorAll('[data-waiting="' + service.prefix + '"]');
      Array.prototype.forEach.call(cells, function (cell) {
        cell.textContent = String(service.waiting);
      });
      var numbers = root.querySelector('[data-reserved="' + service.prefix + '"]');
      var note = root.querySelector('[data-reserved-note="' + service.prefix + '"]');
      if (numbers && note) {
        numbers.textContent = service.reserved.join(", ");
        note.hidden = service.reserved.length === 0;
      }
    });

    var key = keyOfSkipped(state.skipped);
    if (key !== skippedKey) {
      skippedKey = key;
      renderSkipped();
    }

    var pauseForm = formOf("pause");
    var resumeForm = formOf("resume");
    if (pauseForm) {
      pauseForm.hidden = Boolean(state.paused);
    }
    if (resumeForm) {
      resumeForm.hidden = !state.paused;
    }
    Array.prototype.forEach.call(root.querySelectorAll("form.js-action"), function (form) {
      var button = form.querySelector("button");
      if (button) {
        button.disabled = busy || !allowed(form.getAttribute("data-action"));
      }
    });
    if (transferSelect) {
      transferSelect.disabled = busy || !allowed("transfer");
    }
  }

  function keyOfSkipped(skipped) {
    return skipped
      .map(function (ticket) {
        return ticket.id + "@" + ticket.until;
      })
      .join(",");
  }

  function renderSkipped() {
    var list = document.getElementById("skipped");
    var template = document.getElementById("skipped-item");
    if (!list || !template) {
      return;
    }
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    state.skipped.forEach(function (ticket) {
      var item = template.content.firstElementChild.cloneNode(true);
      item.querySelector(".skipped-number").textContent = ticket.number;
      item.querySelector(".skipped-service").textContent = ticket.service_name;
      item.querySelector(".skipped-until").textContent = ticket.until;
      item.querySelector('input[name="ticket"]').value = ticket.id;
      item.querySelector('input[name="request_id"]').value = newRequestId();
      list.appendChild(item);
    });
    setHidden("no-skipped", state.skipped.length > 0);
  }

  function showMessage(text, ok) {
    if (!messageBox) {
      return;
    }
    messageBox.textContent = text;
    messageBox.classList.toggle("ok", ok === true);
    messageBox.classList.toggle("error", ok === false);
  }

  // -- actions ------------------------------------------------------------------------

  function formOf(action) {
    return root.querySelector('form.js-action[data-action="' + action + '"]');
  }

  function newRequestId() {
    // crypto.getRandomValues works on plain http too (randomUUID needs https).
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      })
      .join("");
  }

  function send(form) {
    var button = form.querySelector("button");
    if (busy || form.hidden || (button && button.disabled)) {
      return;
    }
    if (!form.checkValidity()) {
      form.reportValidity();
      return;
    }
    if (document.activeElement && document.activeElement.tagName === "BUTTON") {
      // So that Space afterwards means "call next", not "press this button again".
      document.activeElement.blur();
    }
    // Read the form before the buttons and the select are disabled (a disabled field
    // is not sent).
    var body = new URLSearchParams(new FormData(form)).toString();
    busy = true;
    render();
    showMessage(root.getAttribute("data-working"), null);
    var started = Date.now();
    var requestId = form.querySelector('input[name="request_id"]');

    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRF-Token": csrf,
      },
      body: body,
    })
      .then(function (response) {
        // The server answered: the next press is a new request.
        if (requestId) {
          requestId.value = newRequestId();
        }
        if (response.redirected) {
          // The session ended (a post is sent to the login page): reloading the console
          // shows the login, which comes back here afterwards.
          window.location.reload();
          throw new Error("logged out");
        }
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (answer) {
        showMessage(answer.message, answer.ok);
        if (answer.live) {
          state = answer.live;
        }
        if (answer.ok && form.getAttribute("data-action") === "transfer" && transferSelect) {
          transferSelect.value = "";
        }
      })
      .catch(function () {
        showMessage(root.getAttribute("data-failed"), false);
      })
      .then(function () {
        var left = Math.max(0, MIN_BUSY_MS - (Date.now() - started));
        window.setTimeout(function () {
          busy = false;
          render();
        }, left);
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("js-action")) {
      return;
    }
    event.preventDefault();
    send(form);
  });

  // -- keyboard -----------------------------------------------------------------------

  var KEYS = { n: "call_next", " ": "call_next", r: "recall", s: "skip", f: "finish" };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) {
      return;
    }
    var target = event.target;
    var tag = target && target.tagName ? target.tagName : "";
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || target.isContentEditable) {
      if (target === transferSelect && event.key === "Escape") {
        transferSelect.blur();
      } else if (target === transferSelect && event.key === "Enter") {
        event.preventDefault();
        send(formOf("transfer"));
      }
      return;
    }
    var key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key === " " && (tag === "BUTTON" || tag === "A" || tag === "SUMMARY")) {
      return; // the focused control's own Space
    }
    if (key === "t") {
      if (transferSelect && !transferSelect.disabled) {
        event.preventDefault();
        transferSelect.focus();
      }
      return;
    }
    var action = key === "p" ? (state.paused ? "resume" : "pause") : KEYS[key];
    if (!action) {
      return;
    }
    event.preventDefault();
    var form = formOf(action);
    if (form) {
      send(form);
    }
  });

  // -- live updates -------------------------------------------------------------------

  function connect() {
    var source = new EventSource(root.getAttribute("data-events"));
    source.onmessage = function (event) {
      if (offlineBox) {
        offlineBox.hidden = true;
      }
      state = JSON.parse(event.data);
      render();
    };
    // The session this console was opened under is over (a logout elsewhere, a reset
    // password, a counter taken away): reloading leads to the login page, which then
    // brings the clerk back here.
    source.addEventListener("ended", function () {
      source.close();
      window.location.reload();
    });
    source.onerror = function () {
      if (offlineBox) {
        offlineBox.hidden = false;
      }
      // EventSource retries by itself while it can; after a refusal it gives up. A
      // session that ended, or a counter taken away, shows why on reloading; anything
      // else (a server restarting) is tried again.
      if (source.readyState === EventSource.CLOSED) {
        sessionOver().then(function (over) {
          if (over) {
            window.location.reload();
          } else {
            window.setTimeout(connect, RETRY_MS);
          }
        });
      }
    };
  }

  function sessionOver() {
    return fetch(window.location.href, { redirect: "manual", cache: "no-store" }).then(
      function (response) {
        // To the login page, or no longer this user's counter.
        return response.type === "opaqueredirect" || response.status === 403;
      },
      function () {
        return false;
      }
    );
  }

  if (window.EventSource) {
    connect();
  }
  render();
})();
