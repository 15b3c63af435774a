/* Due-date countdowns: every <time class="countdown" datetime="..."> says how long is left (or
   how long overdue) in the same words as the server (caredesk.web.formatting.countdown), and
   stays current while the page is open. */
(function () {
  "use strict";

  function span(seconds) {
    var minutes = Math.floor(seconds / 60);
    var days = Math.floor(minutes / 1440);
    minutes -= days * 1440;
    var hours = Math.floor(minutes / 60);
    minutes -= hours * 60;
    if (days) { return days + " d " + hours + " h"; }
    if (hours) { return hours + " h " + minutes + " min"; }
    return Math.max(minutes, 1) + " min";
  }

  function words(remaining) {
    return remaining <= 0 ? "overdue by " + span(-remaining) : span(remaining) + " left";
  }

  function refresh() {
    var now = Date.now();
    document.querySelectorAll("time.countdown[datetime]").forEach(function (node) {
      var due = Date.parse(node.getAttribute("datetime"));
      if (!isNaN(due)) { node.textContent = words((due - now) / 1000); }
    });
  }

  refresh();
  window.setInterval(refresh, 30000);
}());
