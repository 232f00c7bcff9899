// The console works without this script. With it, a refused form's error
// summary (or a sign-in problem) takes the focus when the page opens, as
// the GOV.UK pattern asks, and a summary link moves focus to its field.
document.addEventListener("DOMContentLoaded", function () {
  var first = document.querySelector("[data-autofocus]");
  if (first) first.focus();
  document.querySelectorAll(".error-summary a[href^='#']").forEach(function (a) {
    a.addEventListener("click", function (e) {
      var field = document.getElementById(a.getAttribute("href").slice(1));
      if (!field) return;
      e.preventDefault();
      field.focus();
      field.scrollIntoView({ block: "center" });
    });
  });
});
