/* A restaurant's ReservaFlow booking page on the restaurant's own site.

     <script src="https://HOST/static/reservaflow/embed.js" data-restaurant="SLUG" async></script>

   Puts a frame with the booking page of SLUG where the tag is, from the origin this script
   was loaded from, and keeps it as tall as the page inside (which posts its height, see
   frame.js). The page must list the site among its restaurant's embed origins, or the
   browser refuses to show it in the frame.

   Optional attributes: data-lang ("en" or "es"), data-party-size, data-date (YYYY-MM-DD)
   and data-time (HH:MM) open the booking page in that language or at that step; data-title
   names the frame for screen readers. Plain script, no build step, no globals. */
(function () {
  "use strict";
  var TITLES = { en: "Book a table", es: "Reservar mesa" };
  // data-* attribute (as in dataset) -> query parameter of the booking page
  var PASSED = { lang: "lang", partySize: "party_size", date: "date", time: "time" };
  var SCRIPT_PATH = /\/reservaflow\/embed\.js([?#]|$)/;

  function ownTags() {
    // document.currentScript is this tag while it runs, async or not; where it is missing
    // (the script run by a loader's callback), every tag of this script not handled yet.
    if (document.currentScript) {
      return [document.currentScript];
    }
    var found = [];
    var tags = document.getElementsByTagName("script");
    for (var i = 0; i < tags.length; i++) {
      if (tags[i].hasAttribute("data-restaurant") && SCRIPT_PATH.test(tags[i].src)) {
        found.push(tags[i]);
      }
    }
    return found;
  }

  function bookingUrl(tag, origin) {
    var slug = tag.getAttribute("data-restaurant");
    var url = new URL("/book/" + encodeURIComponent(slug) + "/", origin);
    url.searchParams.set("embed", "1");
    Object.keys(PASSED).forEach(function (name) {
      var value = tag.dataset[name];
      if (value) {
        url.searchParams.set(PASSED[name], value);
      }
    });
    return url.href;
  }

  function frameTitle(tag) {
    var lang = (tag.dataset.lang || document.documentElement.lang || "en").slice(0, 2);
    return tag.dataset.title || TITLES[lang.toLowerCase()] || TITLES.en;
  }

  function place(tag, frame) {
    var parent = tag.parentNode;
    if (parent && parent !== document.head && parent !== document.documentElement) {
      parent.insertBefore(frame, tag.nextSibling);
    } else if (document.body) {
      document.body.appendChild(frame);
    } else {
      document.addEventListener("DOMContentLoaded", function () {
        document.body.appendChild(frame);
      });
    }
  }

  function embed(tag) {
    if (tag.hasAttribute("data-reservaflow-embedded") || !tag.getAttribute("data-restaurant")) {
      return;
    }
    tag.setAttribute("data-reservaflow-embedded", "");
    var origin = new URL(tag.src, document.baseURI).origin;
    var frame = document.createElement("iframe");
    frame.src = bookingUrl(tag, origin);
    frame.title = frameTitle(tag);
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.display = "block";
    frame.style.height = "640px"; // until the page says how tall it is

    window.addEventListener("message", function (event) {
      // Only the page in this frame, from the service this script came from; any other
      // window of the page (another frame, an ad) may post messages too.
      if (event.origin !== origin || event.source !== frame.contentWindow) {
        return;
      }
      var data = event.data;
      if (!data || data.type !== "reservaflow:height") {
        return;
      }
      var height = Number(data.height);
      if (isFinite(height) && height > 0) {
        frame.style.height = Math.min(Math.ceil(height), 100000) + "px";
      }
    });
    place(tag, frame);
  }

  ownTags().forEach(embed);
})();
