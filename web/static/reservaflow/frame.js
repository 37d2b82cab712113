/* The booking page inside a frame on the restaurant's own site (see embed.js): tells the
   embedding page how tall this page is, on load, after every htmx swap and whenever its size
   changes, so the frame fits its content without a scroll bar of its own.

   The height is all it ever sends, nothing a guest typed, so it may go to any parent ("*"):
   only the restaurant's own sites may frame this page at all (its Content-Security-Policy
   frame-ancestors), and embed.js checks the sender before it acts. */
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  var sent = 0;

  function postHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === sent) {
      return;
    }
    sent = height;
    window.parent.postMessage({ type: "reservaflow:height", height: height }, "*");
  }

  window.addEventListener("load", postHeight);
  document.addEventListener("htmx:afterSettle", postHeight);
  if ("ResizeObserver" in window) {
    new ResizeObserver(postHeight).observe(document.documentElement);
  } else {
    window.addEventListener("resize", postHeight);
  }
  postHeight();
})();
