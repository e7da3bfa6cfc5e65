// Show only the optional fields that the chosen document kind uses (data-kinds empty: every kind).
(function () {
  var select = document.getElementById("kind");
  if (!select) return;
  function update() {
    document.querySelectorAll(".doc-field").forEach(function (el) {
      var kinds = el.getAttribute("data-kinds");
      el.hidden = !!kinds && kinds.split(" ").indexOf(select.value) < 0;
    });
  }
  select.addEventListener("change", update);
  update();
})();
