// The inbox badge of the navigation bar: the unread count, asked of the API when the page
// loads and again every minute while the page is visible (no inline script: the
// Content-Security-Policy allows scripts from the portal only).
(function () {
  var link = document.getElementById("inbox-link");
  var badge = document.getElementById("unread-count");
  if (!link || !badge || !window.fetch) return;
  var url = link.getAttribute("data-unread-url");

  function show(count) {
    badge.hidden = !count;
    badge.textContent = count > 99 ? "99+" : String(count);
    badge.title = count + " unread";
  }

  function refresh() {
    if (document.hidden) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body && typeof body.unread === "number") show(body.unread); })
      .catch(function () { /* the badge waits for the next try */ });
  }

  refresh();
  window.setInterval(refresh, 60000);
  document.addEventListener("visibilitychange", refresh);
})();
