// The report picker: two roles in, their report out. Without this script
// the page still lists every report; with it, the picker shows.
(function () {
  var form = document.getElementById("picker");
  if (!form) return;
  var reports = JSON.parse(form.getAttribute("data-reports") || "{}");
  var a = document.getElementById("role-a");
  var b = document.getElementById("role-b");
  var note = document.getElementById("picker-note");
  form.hidden = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (a.value === b.value) {
      note.textContent = "Pick two different roles.";
      return;
    }
    // Report files name the roles in catalogue order, the order of the options.
    var first = a.selectedIndex < b.selectedIndex ? a.value : b.value;
    var second = first === a.value ? b.value : a.value;
    var href = reports[first + "|" + second];
    if (!href) {
      note.textContent = "There is no report for that pair this week.";
      return;
    }
    note.textContent = "";
    window.location.href = href;
  });
})();
