// The host stand's live day (docs/host-stand.md). htmx polls #day every 2 seconds; this file
// sends the ETag of the day shown, so an unchanged day answers 304 and nothing is swapped,
// holds a poll back while the host is typing in the day (a cancellation's reason), and lets
// htmx swap a refused action's answer, which says why next to the button.
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
