// palmares: render the Vega-Lite specs the server embedded, as SVG, with tooltips and legends.
// Without JavaScript the <noscript> image (the same chart, rendered by the server) stands in.
(function () {
  "use strict";
  function renderCharts(root) {
    if (typeof window.vegaEmbed !== "function") return;
    root.querySelectorAll(".vega[data-spec-id]").forEach(function (el) {
      if (el.dataset.rendered) return;
      var source = document.getElementById(el.dataset.specId);
      if (!source) return;
      el.dataset.rendered = "1";
      var spec = JSON.parse(source.textContent);
      // One accessible name for the whole chart (set below) rather than unnamed mark groups.
      spec.config = Object.assign({}, spec.config, { aria: false });
      window.vegaEmbed(el, spec, { renderer: "svg", actions: false }).then(function (view) {
        var svg = el.querySelector("svg");
        if (svg) {
          // The chart is one image with one name (its caption); its marks are not separate
          // images for assistive technology (the table and the caption carry the figures).
          svg.querySelectorAll("[role], [aria-roledescription]").forEach(function (node) {
            node.removeAttribute("role");
            node.removeAttribute("aria-roledescription");
            node.removeAttribute("aria-label");
          });
          svg.setAttribute("role", "img");
          var title = el.closest("figure").querySelector("figcaption");
          if (title) svg.setAttribute("aria-label", title.firstChild.textContent.trim());
        }
        el.dataset.ready = "1";
      }).catch(function (err) { el.dataset.error = String(err); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
  document.addEventListener("htmx:afterSettle", function (e) { renderCharts(e.target); });
})();
