/* Progressive enhancement for the survey form: save the page when the phone is put away,
   and stop a double tap from sending twice (the server is idempotent either way). */
(function () {
  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var dirty = false, sent = false;
  form.addEventListener("change", function () { dirty = true; });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "hidden" || !dirty || !navigator.sendBeacon) return;
    var data = new FormData(form);
    data.set("action", "save");
    if (navigator.sendBeacon(form.action, data)) dirty = false;
  });
  form.addEventListener("submit", function (e) {
    if (sent) { e.preventDefault(); return; }
    sent = true;
    setTimeout(function () { sent = false; }, 8000);
  });
})();
