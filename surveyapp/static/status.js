/* Response rates: refresh the tables every 15 seconds while the round is open (the page works
   without it; this file is separate so the Content-Security-Policy needs no inline script). */
(function () {
  var box = document.getElementById("status-tables");
  if (!box || !box.dataset.src) return;
  function refresh() {
    fetch(box.dataset.src, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html) { box.innerHTML = html; } })
      .catch(function () {});
  }
  setInterval(refresh, 15000);
})();
