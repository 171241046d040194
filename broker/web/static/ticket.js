// Keeps the ticket page up to date: one small event stream, no framework.
(function () {
  "use strict";
  if (!window.EventSource) { return; }
  var source = new EventSource(document.body.getAttribute("data-events"));
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
    if (view.state === "called" && navigator.vibrate) { navigator.vibrate([300, 150, 300]); }
  };
})();
