/* The copilot form: the question goes to the streaming API with fetch() (EventSource cannot
   POST), the answer's text appears as the server verifies each sentence, and the final answer
   is swapped for its server-rendered form (citation links, sources, engine notes). Without
   JavaScript the form posts to /copilot instead. */
(function () {
  "use strict";

  var form = document.getElementById("copilot-form");
  if (!form || !window.fetch || !window.TextDecoder) { return; }
  var output = document.getElementById("copilot-answer");
  var status = document.getElementById("copilot-status");
  var button = document.getElementById("ask-button");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function value(name) {
    var field = form.elements.namedItem(name);
    return field && field.value ? field.value.trim() : "";
  }

  function question() {
    var body = { question: value("question") };
    ["case_id", "payer", "as_of", "thread_id"].forEach(function (name) {
      if (value(name)) { body[name] = value(name); }
    });
    return body;
  }

  function problem(text) {
    var alert = element("p", "alert", text);
    alert.setAttribute("role", "alert");
    return alert;
  }

  function finish(text) {
    button.disabled = false;
    output.setAttribute("aria-busy", "false");
    status.textContent = text;
  }

  function showAnswer(turn, answer) {
    var url = "/copilot/threads/" + encodeURIComponent(answer.thread_id) + "/messages/" +
      encodeURIComponent(answer.message_id);
    form.elements.namedItem("thread_id").value = answer.thread_id;
    return fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) { turn.innerHTML = html; finish("Answered."); })
      .catch(function () { finish("Answered; reload the page to see its sources."); });
  }

  function handle(turn, live, block) {
    var kind = "message";
    var data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) { kind = line.slice(6).trim(); }
      if (line.indexOf("data:") === 0) { data += line.slice(5).trim(); }
    });
    var payload = data ? JSON.parse(data) : {};
    if (kind === "token") {
      live.textContent += payload.text;
    } else if (kind === "reset") {
      live.textContent = "";
      status.textContent = "The language model stopped; the offline engine is answering…";
    } else if (kind === "answer") {
      return showAnswer(turn, payload);
    } else if (kind === "error") {
      turn.appendChild(problem(payload.reason || "The answer could not be completed."));
      finish("");
    }
    return null;
  }

  function read(turn, live, response) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) { return null; }
        buffer += decoder.decode(chunk.value, { stream: true });
        var cut = buffer.indexOf("\n\n");
        while (cut >= 0) {
          handle(turn, live, buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf("\n\n");
        }
        return pump();
      });
    }
    return pump();
  }

  function refused(turn, response) {
    return response.json().catch(function () { return {}; }).then(function (body) {
      var reason = body.reason || "the question was refused (HTTP " + response.status + ")";
      if (response.status === 401) { reason = "your session has ended; sign in again"; }
      turn.appendChild(problem(reason));
      finish("");
    });
  }

  function ask(event) {
    event.preventDefault();
    var body = question();
    if (!body.question) { return; }
    var turn = element("div", "answer-turn");
    turn.appendChild(element("p", "answer-question", body.question));
    var live = element("p", "answer-text answer-live");
    turn.appendChild(live);
    output.insertBefore(turn, output.firstChild);
    button.disabled = true;
    output.setAttribute("aria-busy", "true");
    status.textContent = "Answering…";
    fetch(form.getAttribute("data-stream-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.ok ? read(turn, live, response) : refused(turn, response);
    }).catch(function () {
      turn.appendChild(problem("The copilot could not be reached. Try again."));
      finish("");
    });
  }

  form.addEventListener("submit", ask);
  form.addEventListener("click", function (event) {
    var chip = event.target.closest("button[data-question]");
    if (!chip) { return; }
    form.elements.namedItem("question").value = chip.getAttribute("data-question");
    form.elements.namedItem("question").focus();
  });
}());
