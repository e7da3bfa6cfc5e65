// Show only the optional fields that the chosen document kind uses (data-kinds empty: every kind).
(function () {
  var select = document.getElementById("kind");
  if (!select) return;
  function update() {
    document.querySelectorAll(".doc-field").forEach(function (el) {
      var kinds = el.getAttribute("data-kinds");
      // style rather than the hidden attribute: the base CSS makes every label display:block.
      el.style.display = kinds && kinds.split(" ").indexOf(select.value) < 0 ? "none" : "";
    });
  }
  select.addEventListener("change", update);
  update();
})();
