/* Fills <div data-tracker-box="cortexin"></div> with the live buy box of that product.
   Optional attributes: data-tracker-style="cards|table", data-tracker-limit="3".
   The page keeps whatever the element held (e.g. the statically rendered box) when the
   server cannot be reached. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(".", script ? script.src : window.location.href).href;
  var SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

  function fill(element) {
    var slug = element.getAttribute("data-tracker-box") || "";
    if (!SLUG.test(slug)) {
      return;
    }
    var url = new URL("boxes/" + slug + ".html", base);
    var style = element.getAttribute("data-tracker-style");
    var limit = element.getAttribute("data-tracker-limit");
    if (style === "cards" || style === "table") {
      url.searchParams.set("style", style);
    }
    if (limit && /^[0-9]+$/.test(limit)) {
      url.searchParams.set("limit", limit);
    }
    element.setAttribute("data-tracker-state", "loading");
    fetch(url.href, { credentials: "omit", mode: "cors" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        element.innerHTML = html; /* our own server's fragment: every vendor string is escaped */
        element.setAttribute("data-tracker-state", "live");
      })
      .catch(function () {
        element.setAttribute("data-tracker-state", "failed");
      });
  }

  /* One stylesheet for every box of the page, unless the page already links it. */
  function linkStyles() {
    if (document.querySelector("link[data-tracker-styles], style[data-tracker-styles]")) {
      return;
    }
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = new URL("tracker-buy.css", base).href;
    link.setAttribute("data-tracker-styles", "");
    document.head.appendChild(link);
  }

  function start() {
    var boxes = document.querySelectorAll("[data-tracker-box]");
    if (boxes.length) {
      linkStyles();
    }
    for (var i = 0; i < boxes.length; i += 1) {
      fill(boxes[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
