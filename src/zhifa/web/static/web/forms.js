/* Forms that only drive the page (filters on the map) are never submitted to the server.
   Replaces inline onsubmit="return false" handlers, which the Content-Security-Policy blocks. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-no-submit]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
    });
  });
})();
