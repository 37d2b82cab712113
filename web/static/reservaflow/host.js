// The host stand's live day (docs/host-stand.md). htmx polls #day every 2 seconds; this file
// sends the ETag of the day shown, so an unchanged day answers 304 and nothing is swapped,
// holds a poll back while the host is typing in the day (a cancellation's reason), and lets
// htmx swap a refused action's answer, which says why next to the button. The finished
// reservations' section stays open across the polls once the host opened it, and opens when a
// timeline block links to one of its rows.
(function () {
  "use strict";
  var REFUSALS = [400, 403, 409, 423, 429];

  function isPoll(detail) {
    var elt = detail.elt;
    return elt && elt.id === "day" && (detail.verb || (detail.requestConfig || {}).verb) === "get";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.id === "day" && elt.dataset.etag && event.detail.verb === "get") {
      event.detail.headers["If-None-Match"] = elt.dataset.etag;
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!isPoll(event.detail)) return;
    var active = document.activeElement;
    if (active && event.detail.elt.contains(active) && active.matches("input, textarea, select")) {
      event.preventDefault();
    }
  });

  var finishedOpen = false;

  document.addEventListener("toggle", function (event) {
    if (event.target.id === "finished") finishedOpen = event.target.open;
  }, true);

  document.addEventListener("htmx:afterSettle", function () {
    var finished = document.getElementById("finished");
    if (finished && finishedOpen) finished.open = true;
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href^="#r-"]');
    var row = link && document.getElementById(link.getAttribute("href").slice(1));
    var section = row && row.closest("details");
    if (section) section.open = true;
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 304) {
      event.detail.shouldSwap = false;
    } else if (REFUSALS.indexOf(status) !== -1 && event.detail.target && event.detail.target.id === "day") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
