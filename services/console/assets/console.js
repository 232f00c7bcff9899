// The console works without this script. With it, a refused form's error
// summary (or a sign-in problem, or an upload's report) takes the focus
// when the page opens, as the GOV.UK pattern asks; a summary link moves
// focus to its field; and an upload shows its progress, then the report.
function wire(root) {
  var first = root.querySelector("[data-autofocus]");
  if (first) first.focus();
  root.querySelectorAll(".error-summary a[href^='#']").forEach(function (a) {
    a.addEventListener("click", function (e) {
      var field = document.getElementById(a.getAttribute("href").slice(1));
      if (!field) return;
      e.preventDefault();
      field.focus();
      field.scrollIntoView({ block: "center" });
    });
  });
  root.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      var box = form.querySelector(".upload-progress");
      if (!box || !window.FormData) return;
      e.preventDefault();
      var bar = box.querySelector("progress");
      var status = box.querySelector(".upload-status");
      var button = form.querySelector("button[type=submit]");
      box.hidden = false;
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (ev) {
        if (!ev.lengthComputable) return;
        var p = Math.round((ev.loaded * 100) / ev.total);
        bar.value = p;
        bar.textContent = p + "%";
        status.textContent = "已上传 " + p + "%";
      });
      xhr.upload.addEventListener("load", function () {
        bar.removeAttribute("value");
        status.textContent = "上传完成，正在逐行检查，请稍候……";
      });
      xhr.addEventListener("load", function () {
        var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        document.title = doc.title;
        document.body.replaceWith(document.adoptNode(doc.body));
        wire(document);
      });
      xhr.addEventListener("error", function () {
        status.textContent = "上传失败，请检查网络后重试。";
        button.disabled = false;
      });
      xhr.send(new FormData(form));
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  wire(document);
});
