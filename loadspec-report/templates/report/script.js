// Optional enhancements; the report reads the same without them (SVG <title> tooltips, open
// <details>). No network, no globals beyond this function.
(function () {
  "use strict";
  var tip = document.getElementById("tip");

  // Styled tooltips: take over each <title> on first hover so the browser's own tooltip does
  // not show twice.
  function tipText(el) {
    if (el.hasAttribute("data-tip")) return el.getAttribute("data-tip");
    var title = el.querySelector(":scope > title");
    if (!title) return null;
    var text = title.textContent;
    el.setAttribute("data-tip", text);
    title.remove();
    return text;
  }
  function place(event) {
    var pad = 14, w = tip.offsetWidth, h = tip.offsetHeight;
    var x = event.clientX + pad, y = event.clientY + pad;
    if (x + w > window.innerWidth - 4) x = event.clientX - w - pad;
    if (y + h > window.innerHeight - 4) y = event.clientY - h - pad;
    tip.style.left = Math.max(4, x) + "px";
    tip.style.top = Math.max(4, y) + "px";
  }
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    svg.addEventListener("pointermove", function (event) {
      var target = event.target.closest ? event.target.closest("rect, circle") : null;
      var text = target && svg.contains(target) ? tipText(target) : null;
      if (!text) { tip.hidden = true; return; }
      tip.textContent = text;
      tip.hidden = false;
      place(event);
    });
    svg.addEventListener("pointerleave", function () { tip.hidden = true; });

    // Legend entries toggle their series.
    svg.querySelectorAll(".legend-item").forEach(function (item) {
      item.addEventListener("click", function () {
        var off = item.classList.toggle("off");
        var selector = '.series[data-series="' + item.getAttribute("data-series") + '"]';
        svg.querySelectorAll(selector).forEach(function (series) {
          series.classList.toggle("off", off);
        });
      });
    });
  });

  // Print everything, collapsed steps included.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
