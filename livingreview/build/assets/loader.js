
function lrEmbedAll() {
  document.querySelectorAll("div.lr-vega").forEach(function (el) {
    if (el.dataset.lrEmbedded) return;
    el.dataset.lrEmbedded = "1";
    var node = el.querySelector("script.lr-vega-spec");
    var target = el.querySelector("div.lr-vega-target");
    var spec = JSON.parse(node.textContent);
    vegaEmbed(target, spec, {
      renderer: "svg",
      actions: {export: true, source: false, compiled: false, editor: false}
    }).then(function () { el.dataset.lrRendered = "1"; })
      .catch(function (err) {
        el.dataset.lrError = String(err);
        target.textContent = "This chart could not be drawn: " + err;
        console.error("livingreview chart", err);
      });
  });
}
// The bundle comes after the page's charts: draw them now, and any parsed later on
// DOMContentLoaded.
lrEmbedAll();
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", lrEmbedAll);
}
