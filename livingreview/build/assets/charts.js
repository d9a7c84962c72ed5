/* Charts: each is in the page already, drawn at build time as SVG (livingreview.present.prerender).
   The interactive Vega view (tooltips, export menu) needs a 0.9 MB bundle, so it is fetched
   only when a reader reaches for a chart: a pointer over it, a touch, or keyboard focus on it.
   Then the bundle's loader draws every chart of the page in place of its picture. */
(function () {
  var script = document.currentScript;
  var bundle = script && script.dataset.lrBundle;
  var CHART = "div.lr-vega";
  var asked = false;

  function load() {
    if (asked || !bundle) return;
    asked = true;
    // When the reader asked (ms since navigation): make bench measures from here.
    document.documentElement.dataset.lrVegaAsked = String(performance.now());
    var s = document.createElement("script");
    s.src = bundle;
    s.onerror = function () {
      document.querySelectorAll(CHART).forEach(function (el) {
        el.dataset.lrError = "the interactive view could not be loaded";
      });
      console.error("livingreview: could not load " + bundle);
    };
    document.head.appendChild(s);
  }

  // The drawn view, once Vega has made it: one labelled image (as the pre-rendered one was),
  // and a named menu button (vega-embed's <summary> has an icon only).
  function label(el) {
    var name = el.getAttribute("aria-label") || "Chart";
    var svg = el.querySelector(".lr-vega-target svg");
    if (svg) {
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", name);
      svg.removeAttribute("aria-roledescription");
      // Its parts are drawing, not separate images: the description says what they show.
      svg.querySelectorAll("[role], [aria-roledescription], [aria-label]").forEach(function (n) {
        n.removeAttribute("role");
        n.removeAttribute("aria-roledescription");
        n.removeAttribute("aria-label");
      });
    }
    var summary = el.querySelector("details > summary");
    if (summary) summary.setAttribute("aria-label", "Save this chart as an image");
  }

  function setup() {
    document.querySelectorAll(CHART).forEach(function (el) {
      // Reachable from the keyboard: focusing a chart brings its interactive view.
      if (!el.hasAttribute("tabindex")) el.tabIndex = 0;
      new MutationObserver(function () {
        if (el.dataset.lrRendered && !el.dataset.lrLabelled) {
          el.dataset.lrLabelled = "1";
          label(el);
        }
      }).observe(el, {attributes: true, attributeFilter: ["data-lr-rendered"]});
    });
    ["pointerover", "touchstart", "focusin"].forEach(function (type) {
      document.addEventListener(type, function (e) {
        if (e.target && e.target.closest && e.target.closest(CHART)) load();
      }, {passive: true});
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
