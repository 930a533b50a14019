/* Report downloads: while a file is being prepared (the PDF takes a few seconds at scale), say so
   in the live status line and keep the link from being clicked twice; then hand the file to the
   browser as a normal download. Without JavaScript the links download directly and the note
   under them says the PDF takes a few seconds. A failed request falls back to following the
   link, so the server's own error page is shown. Separate file: the CSP allows no inline script. */
(function () {
  var list = document.querySelector("[data-download-list]");
  var status = document.getElementById("download-status");
  if (!list || !status || !window.fetch || !window.URL || !URL.createObjectURL) return;
  var busy = false;

  function filename(response, fallback) {
    var header = response.headers.get("Content-Disposition") || "";
    var star = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (star) { try { return decodeURIComponent(star[1]); } catch (e) { /* plain name below */ } }
    var plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  list.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-format]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    if (busy) return;
    busy = true;
    var name = link.dataset.label || link.textContent.trim();
    link.setAttribute("aria-disabled", "true");
    link.classList.add("is-preparing");
    status.textContent = "Preparing your " + name + ", this can take a few seconds…";
    fetch(link.href, {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.blob().then(function (blob) {
          var url = URL.createObjectURL(blob);
          var save = document.createElement("a");
          save.href = url;
          save.download = filename(response, "report." + link.dataset.format);
          document.body.appendChild(save);
          save.click();
          save.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
          status.textContent = "Your " + name + " is ready: your browser has saved it.";
        });
      })
      .catch(function () {
        status.textContent = "";
        window.location.href = link.href;
      })
      .finally(function () {
        busy = false;
        link.removeAttribute("aria-disabled");
        link.classList.remove("is-preparing");
      });
  });
})();
