// Progress of background jobs: every element with data-poll-url is a job row's JSON endpoint
// (reference profile, drift run, backfill). Polls every 2 s, updates its <progress> and stage
// text, and reloads the page once every polled job has finished, so results appear by themselves.
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-poll-url]"));
  if (!rows.length || typeof fetch === "undefined") return;
  var FINISHED = ["succeeded", "failed"];

  function poll(row) {
    return fetch(row.dataset.pollUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) return true; // gone or forbidden: stop waiting for it
        var bar = row.querySelector("progress");
        if (bar) bar.value = job.progress;
        var stage = row.querySelector("[data-stage]");
        if (stage) stage.textContent = job.stage || job.status;
        return FINISHED.indexOf(job.status) !== -1;
      })
      .catch(function () { return false; });
  }

  function tick() {
    Promise.all(rows.map(poll)).then(function (done) {
      if (done.every(Boolean)) window.location.reload();
      else window.setTimeout(tick, 2000);
    });
  }
  window.setTimeout(tick, 2000);
})();
