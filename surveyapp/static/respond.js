/* Progressive enhancement for the one-page survey form. Answers are saved as they change: kept in
   this browser (localStorage, keyed by the link's address and removed on submit) and posted, with
   the form's CSRF token, to the link's draft address. The status line says only what is true. */
(function () {
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) return;
  var status = form.querySelector("[data-save-status]");
  var key = "surveyapp-draft:" + location.pathname;
  /* a shared device (a practice tablet): nothing of one person's answers stays in the browser */
  var local = !form.hasAttribute("data-shared-device");
  var timer = null, saving = false, again = false, unsaved = false, sent = false;

  function say(text) { if (status) status.textContent = text; }
  function fields() {
    var data = new FormData(form);
    data.delete("action");
    return data;
  }
  function keep() {
    var answers = {};
    if (!local) return;
    fields().forEach(function (value, name) { if (name !== "csrf_token") answers[name] = value; });
    try { localStorage.setItem(key, JSON.stringify(answers)); } catch (e) { /* private mode */ }
  }
  function restore() {
    var answers = null, changed = false;
    if (!local) return false;
    try { answers = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { answers = null; }
    if (!answers) return false;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!Object.prototype.hasOwnProperty.call(answers, el.name)) return;
      if (el.type === "radio") {
        if (el.value === answers[el.name] && !form.querySelector("input[name='" + el.name + "']:checked")) {
          el.checked = true; changed = true;
        }
      } else if (el.tagName === "TEXTAREA" && !el.value && answers[el.name]) {
        el.value = answers[el.name]; changed = true;
      }
    });
    return changed;
  }
  function save() {
    clearTimeout(timer);
    if (saving) { again = true; return; }
    saving = true;
    say("Saving…");
    fetch(form.getAttribute("data-draft"), { method: "POST", body: fields(), credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 204) {
          unsaved = false;
          say("Your answers are saved. You can finish later with the same link.");
        } else if (r.status === 409) {
          location.assign(form.action);
        } else {
          say("Your answers are kept on this device but could not be saved to our server. Try “Save and finish later”.");
        }
      })
      .catch(function () {
        say("No connection: your answers are kept on this device and will be saved when you are back online.");
      })
      .then(function () {
        saving = false;
        if (again) { again = false; save(); }
      });
  }
  function changed() {
    unsaved = true;
    keep();
    clearTimeout(timer);
    timer = setTimeout(save, 800);
  }

  if (restore()) changed();
  form.addEventListener("change", changed);
  form.addEventListener("input", function (e) { if (e.target.tagName === "TEXTAREA") changed(); });
  window.addEventListener("online", function () { if (unsaved) save(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "hidden" || !unsaved || !navigator.sendBeacon) return;
    if (navigator.sendBeacon(form.getAttribute("data-draft"), fields())) unsaved = false;
  });
  form.addEventListener("submit", function (e) {
    if (sent) { e.preventDefault(); return; }
    sent = true;
    unsaved = false;  /* the form itself carries the answers: no background save as the page goes */
    clearTimeout(timer);
    if (e.submitter && e.submitter.value === "submit") {
      try { localStorage.removeItem(key); } catch (err) { /* private mode */ }
    }
    setTimeout(function () { sent = false; }, 8000);
  });
})();
