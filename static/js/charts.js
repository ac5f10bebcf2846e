// Renders every server-built Plotly figure on the page: <div id="X"> + json_script "X-figure".
(function () {
  function render() {
    document.querySelectorAll("div.chart[id]").forEach(function (el) {
      var data = document.getElementById(el.id.replace(/-graph$/, "") + "-figure") ||
        document.getElementById(el.id + "-figure");
      if (!data || typeof Plotly === "undefined") return;
      var figure = JSON.parse(data.textContent);
      Plotly.newPlot(el, figure.data, figure.layout, { responsive: true, displaylogo: false });
      el.dataset.rendered = "true";
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
