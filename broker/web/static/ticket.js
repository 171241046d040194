// Keeps the ticket page up to date: one small event stream, no framework.
//
// It also alerts the citizen, once each, when three or fewer people are ahead and when
// the ticket is called: a short beep (Web Audio, no sound file) and a vibration, where
// the phone's browser allows them while the page is open. Browsers play sound and
// vibrate only after the visitor has touched the page, so the page offers a button for
// it; without that touch the alerts are simply not heard, never an error.
(function () {
  "use strict";
  if (!window.EventSource) { return; }

  var NEAR = 3;
  var NEAR_PATTERN = [200, 100, 200];
  var CALLED_PATTERN = [400, 150, 400, 150, 400];
  var TRY_PATTERN = [100];

  var body = document.body;
  var Context = window.AudioContext || window.webkitAudioContext;
  var audio = null;
  // What the page showed as served: an alert is for a change seen while it is open.
  var last = { state: body.getAttribute("data-state"), ahead: number(body.getAttribute("data-ahead")) };
  var nearDone = last.state !== "waiting" || isNear(last);

  function number(text) {
    return text === null || text === "" ? null : Number(text);
  }

  function isNear(view) {
    return view.state === "waiting" && view.ahead !== null && view.ahead <= NEAR;
  }

  // -- sound and vibration -------------------------------------------------------------

  function unlock() {
    // Called from a touch or a key: the moment a browser lets a page start its sound.
    if (!Context) { return; }
    try {
      if (!audio) { audio = new Context(); }
      if (audio.state === "suspended" && audio.resume) {
        audio.resume().catch(function () {});
      }
    } catch (e) {
      audio = null;
    }
  }

  function beep(times) {
    try {
      if (!audio || audio.state !== "running") { return; } // not allowed (yet): silence
      var start = audio.currentTime + 0.05;
      for (var i = 0; i < times; i += 1) {
        var tone = audio.createOscillator();
        var volume = audio.createGain();
        var at = start + i * 0.35;
        tone.type = "sine";
        tone.frequency.value = 880;
        volume.gain.setValueAtTime(0.0001, at);
        volume.gain.exponentialRampToValueAtTime(0.5, at + 0.02);
        volume.gain.exponentialRampToValueAtTime(0.0001, at + 0.22);
        tone.connect(volume);
        volume.connect(audio.destination);
        tone.start(at);
        tone.stop(at + 0.25);
      }
    } catch (e) {
      // A browser without Web Audio, or one that refuses it: the page still works.
    }
  }

  function vibrate(pattern) {
    try {
      if (navigator.vibrate) { navigator.vibrate(pattern); }
    } catch (e) {
      // Not allowed here: nothing to do.
    }
  }

  function alertNear() { beep(2); vibrate(NEAR_PATTERN); }
  function alertCalled() { beep(3); vibrate(CALLED_PATTERN); }

  var button = document.getElementById("alerts");
  if (button && (Context || navigator.vibrate)) {
    button.hidden = last.state !== "waiting";
    button.addEventListener("click", function () {
      unlock();
      // A short try, so the citizen knows it works (and the phone is not on silent).
      window.setTimeout(function () { beep(1); }, 100);
      vibrate(TRY_PATTERN);
      button.textContent = button.getAttribute("data-on");
      button.disabled = true;
    });
  }
  document.addEventListener("pointerdown", unlock, { passive: true });
  document.addEventListener("keydown", unlock);

  // -- the live view -------------------------------------------------------------------

  var source = new EventSource(body.getAttribute("data-events"));
  source.onmessage = function (message) {
    var view = JSON.parse(message.data);
    var headline = document.getElementById("headline");
    headline.textContent = view.headline;
    headline.className = "headline state-" + view.state;
    var waiting = document.getElementById("waiting");
    waiting.hidden = view.ahead === null;
    document.getElementById("ahead").textContent = view.ahead === null ? "" : view.ahead;
    document.getElementById("wait").textContent = view.wait;
    var survey = document.getElementById("survey");
    if (survey) { survey.hidden = view.state !== "finished"; }
    if (button) { button.hidden = view.state !== "waiting" || !(Context || navigator.vibrate); }

    if (view.state === "called" && last.state !== "called") {
      nearDone = true;
      alertCalled();
    } else if (!nearDone && isNear(view)) {
      nearDone = true;
      alertNear();
    }
    last = view;
  };
})();
