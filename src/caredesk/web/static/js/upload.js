/* Intake uploads: drop files on the zone or choose them; each file goes to the API on its own
   request with a progress bar, then its status badge (HTMX) polls until ingestion is over.
   Without JavaScript the form still posts to /intake. */
(function () {
  "use strict";

  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var zone = document.getElementById("dropzone");
  var input = document.getElementById("files");
  var list = document.getElementById("upload-list");
  var submit = document.getElementById("upload-submit");
  var url = form.getAttribute("data-upload-url");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  // Two at a time: enough to overlap network and storage without a stampede on the server.
  var MAX_PARALLEL = 2;
  var waiting = [];
  var running = 0;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function documentLink(id, text) {
    var link = element("a", "", text);
    link.href = "/documents/" + encodeURIComponent(id);
    return link;
  }

  function addRow(file) {
    var item = element("li", "upload-item");
    var bar = element("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Uploading " + file.name);
    var outcome = element("span", "upload-outcome", "Waiting…");
    item.appendChild(element("span", "upload-name", file.name));
    item.appendChild(bar);
    item.appendChild(outcome);
    list.insertBefore(item, list.firstChild);
    return { file: file, item: item, bar: bar, outcome: outcome };
  }

  function watchStatus(row, id) {
    var badge = element("span");
    badge.setAttribute("hx-get", "/documents/" + encodeURIComponent(id) + "/status");
    badge.setAttribute("hx-trigger", "load");
    badge.setAttribute("hx-swap", "outerHTML");
    row.item.appendChild(badge);
    window.htmx.process(badge);
  }

  function refusal(xhr, body) {
    if (xhr.status === 401) { return "your session has ended; sign in again and retry"; }
    if (body && body.reason) { return body.reason; }
    return "the upload failed (HTTP " + (xhr.status || "error") + ")";
  }

  function showResult(row, xhr) {
    var body = null;
    try { body = JSON.parse(xhr.responseText); } catch (ignored) { body = null; }
    row.bar.remove();
    row.outcome.textContent = "";
    if ((xhr.status === 200 || xhr.status === 201) && body && body.id) {
      if (body.duplicate) {
        row.outcome.className = "upload-outcome duplicate";
        row.outcome.appendChild(document.createTextNode("Already uploaded: "));
        row.outcome.appendChild(documentLink(body.id, "open the existing document"));
      } else {
        row.outcome.appendChild(document.createTextNode("Uploaded: "));
        row.outcome.appendChild(documentLink(body.id, "open"));
      }
      watchStatus(row, body.id);
      document.body.dispatchEvent(new CustomEvent("caredesk-uploaded"));
      return;
    }
    row.outcome.className = "upload-outcome error";
    row.outcome.textContent = "Not accepted: " + refusal(xhr, body);
  }

  function send(row) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    row.outcome.textContent = "Uploading…";
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) { row.bar.value = Math.round(100 * event.loaded / event.total); }
    });
    xhr.addEventListener("loadend", function () {
      showResult(row, xhr);
      running -= 1;
      pump();
    });
    var data = new FormData();
    data.append("file", row.file, row.file.name);
    xhr.send(data);
  }

  function pump() {
    while (running < MAX_PARALLEL && waiting.length > 0) {
      running += 1;
      send(waiting.shift());
    }
  }

  function enqueue(files) {
    Array.prototype.forEach.call(files, function (file) { waiting.push(addRow(file)); });
    pump();
  }

  // With JavaScript, choosing files starts the upload; the button is only for the no-JS form.
  if (submit) { submit.hidden = true; }
  input.addEventListener("change", function () {
    enqueue(input.files);
    input.value = "";
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    enqueue(input.files);
    input.value = "";
  });

  function hasFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0;
  }
  zone.addEventListener("dragover", function (event) {
    if (!hasFiles(event)) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", function () { zone.classList.remove("dragging"); });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("dragging");
    enqueue(event.dataTransfer.files);
  });
  // A file dropped just beside the zone must not make the browser leave the page.
  window.addEventListener("dragover", function (event) { if (hasFiles(event)) { event.preventDefault(); } });
  window.addEventListener("drop", function (event) { if (hasFiles(event)) { event.preventDefault(); } });
}());
