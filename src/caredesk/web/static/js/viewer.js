/* The document viewer: page links and field links change the page in place (without them the
   same links reload the page with ?page= or ?field=); a field's evidence box is drawn on the
   SVG overlay, whose viewBox is the page's own pixel size, so boxes need no scaling here; the
   OCR word boxes come from the words API when their toggle is on. */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var LOW_WORD_CONFIDENCE = 60;

  function panel() { return document.getElementById("page-view"); }

  function pages(view) {
    try { return JSON.parse(view.getAttribute("data-pages") || "[]"); } catch (ignored) { return []; }
  }

  function pageInfo(view, number) {
    var found = pages(view).filter(function (page) { return page.n === number; });
    return found.length ? found[0] : null;
  }

  function currentPage(view) {
    return parseInt(view.querySelector(".page-number").textContent, 10);
  }

  function rect(box, className) {
    var node = document.createElementNS(SVG, "rect");
    node.setAttribute("class", className);
    node.setAttribute("x", box[0]);
    node.setAttribute("y", box[1]);
    node.setAttribute("width", Math.max(box[2] - box[0], 1));
    node.setAttribute("height", Math.max(box[3] - box[1], 1));
    return node;
  }

  function clear(group) {
    while (group.firstChild) { group.removeChild(group.firstChild); }
  }

  function documentId() {
    var viewer = document.getElementById("viewer");
    return viewer ? viewer.getAttribute("data-document") : "";
  }

  function loadWords(view) {
    var toggle = document.getElementById("word-boxes");
    var group = view.querySelector(".word-boxes");
    clear(group);
    if (!toggle || !toggle.checked) { return; }
    var number = currentPage(view);
    var url = toggle.getAttribute("data-words-url").replace("{n}", String(number));
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { items: [] }; })
      .then(function (words) {
        if (currentPage(view) !== number || !toggle.checked) { return; }
        clear(group);
        words.items.forEach(function (word) {
          var low = word.confidence < LOW_WORD_CONFIDENCE ? " low" : "";
          group.appendChild(rect(word.bbox, "word-box" + low));
        });
        view.setAttribute("data-words-shown", String(words.items.length));
      });
  }

  function showPage(view, number) {
    var info = pageInfo(view, number);
    if (!info) { return false; }
    if (currentPage(view) === number) { return true; }
    var image = view.querySelector(".page-image");
    var width = view.getAttribute("data-image-width");
    image.src = "/api/documents/" + encodeURIComponent(documentId()) + "/pages/" + number +
      "/image?width=" + width;
    image.alt = image.alt.replace(/^Page \d+/, "Page " + number);
    image.setAttribute("width", info.w);
    image.setAttribute("height", info.h);
    view.querySelector(".page-overlay").setAttribute("viewBox", "0 0 " + info.w + " " + info.h);
    view.querySelector(".page-number").textContent = String(number);
    view.querySelectorAll(".page-nav a").forEach(function (link) {
      if (parseInt(link.getAttribute("data-page"), 10) === number) {
        link.setAttribute("aria-current", "page");
      } else {
        link.removeAttribute("aria-current");
      }
    });
    var facts = view.querySelector(".page-facts");
    if (facts) { facts.hidden = true; }  // those facts were about the page first shown
    clear(view.querySelector(".evidence-boxes"));
    loadWords(view);
    return true;
  }

  function scrollToBox(view, box) {
    var frame = view.querySelector(".page-frame");
    var info = pageInfo(view, currentPage(view));
    if (!frame || !info) { return; }
    var scale = frame.scrollWidth / info.w;
    frame.scrollTop = Math.max(box[1] * scale - frame.clientHeight / 3, 0);
  }

  function highlight(view, link) {
    var number = parseInt(link.getAttribute("data-page"), 10);
    if (!showPage(view, number)) { return; }
    var box = link.getAttribute("data-box").split(",").map(parseFloat);
    var pad = pageInfo(view, number).w / 250;  // as the server pads it
    var padded = [box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad];
    var group = view.querySelector(".evidence-boxes");
    clear(group);
    group.appendChild(rect(padded, "evidence-box"));
    document.querySelectorAll(".field-link[aria-current]").forEach(function (other) {
      other.removeAttribute("aria-current");
    });
    link.setAttribute("aria-current", "true");
    var label = link.getAttribute("data-label") || "evidence";
    view.querySelector(".highlight-note").textContent =
      "Highlighted on page " + number + ": " + label + ".";
    scrollToBox(view, box);
    var field = link.getAttribute("data-field");
    history.replaceState(null, "", "?field=" + encodeURIComponent(field) + "#page-view");
  }

  document.addEventListener("click", function (event) {
    var view = panel();
    if (!view || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) {
      return;
    }
    var link = event.target.closest(".field-link[data-box]");
    if (link) {
      event.preventDefault();
      highlight(view, link);
      return;
    }
    var pageLink = event.target.closest(".page-nav a[data-page]");
    if (pageLink && showPage(view, parseInt(pageLink.getAttribute("data-page"), 10))) {
      event.preventDefault();
      view.querySelector(".highlight-note").textContent = "";
      history.replaceState(null, "", "?page=" + pageLink.getAttribute("data-page") + "#page-view");
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "word-boxes" && panel()) { loadWords(panel()); }
  });

  // A link that opened the page with a highlight: bring the box into view once the image has
  // its size (the frame scrolls, not the window).
  function revealInitial() {
    var chosen = document.querySelector(".field-link[aria-current]");
    var list = document.querySelector(".field-list");
    if (chosen && list) { list.scrollTop = chosen.offsetTop - list.offsetTop - 40; }
    var view = panel();
    var shown = view && view.querySelector(".evidence-box");
    if (!shown) { return; }
    var y = parseFloat(shown.getAttribute("y"));
    var image = view.querySelector(".page-image");
    var reveal = function () { scrollToBox(view, [0, y, 0, 0]); };
    if (image.complete) { reveal(); } else { image.addEventListener("load", reveal, { once: true }); }
  }

  document.addEventListener("DOMContentLoaded", revealInitial);
  document.body.addEventListener("htmx:afterSettle", function () {
    revealInitial();
    if (panel()) { loadWords(panel()); }
  });
}());
