// Trợ lý 06 web chat. No framework, no third-party request; every text is set with textContent.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var main = document.getElementById("main");
  var form = document.getElementById("form");
  var input = document.getElementById("text");
  var send = document.getElementById("send");
  var status = document.getElementById("status");
  var sizeButton = document.getElementById("size");
  var sizeNow = document.getElementById("size-now");
  var resetButton = document.getElementById("reset");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var params = new URLSearchParams(location.search);
  var shown = {};
  var lastId = 0;
  var busy = false;

  // ── Text size: three steps, remembered on this device ──
  var SIZES = ["nhỏ", "lớn", "rất lớn"];
  var size = 1;
  try {
    var stored = localStorage.getItem("troly06-size");
    if (stored === "0" || stored === "1" || stored === "2") size = Number(stored);
  } catch (e) {}
  function applySize() {
    document.documentElement.classList.remove("size-1", "size-3");
    if (size === 0) document.documentElement.classList.add("size-1");
    if (size === 2) document.documentElement.classList.add("size-3");
    sizeNow.textContent = SIZES[size];
  }
  applySize();
  sizeButton.addEventListener("click", function () {
    size = (size + 1) % 3;
    applySize();
    try { localStorage.setItem("troly06-size", String(size)); } catch (e) {}
  });

  // ── Colour of the portal's widget (a hex colour only), with readable text on it ──
  var color = params.get("color") || "";
  if (/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(color)) {
    var hex = color.length === 4 ? color.replace(/[0-9a-f]/gi, "$&$&").slice(1) : color.slice(1);
    var channel = function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    };
    var lum = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
    // Keep the accent only when white or black text on it reaches 4.5:1; else the default stays.
    if (1.05 / (lum + 0.05) >= 4.5) {
      document.documentElement.style.setProperty("--accent", color);
    }
  }

  function setStatus(text) { status.textContent = text || ""; }

  /** Shows what was added: all of it when it fits, else from its start (a long answer is read from the top). */
  function reveal(first) {
    if (!first) return;
    if (main.scrollHeight - first.offsetTop > main.clientHeight) main.scrollTop = first.offsetTop - 8;
    else main.scrollTop = main.scrollHeight;
  }

  function bubble(cls, text, push, entryId) {
    var p = document.createElement("div");
    if (entryId) p.setAttribute("data-entry", String(entryId));
    p.className = "bubble " + cls + (push ? " push" : "");
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = cls === "user" ? "Bạn: " : "Trợ lý: ";
    p.appendChild(who);
    p.appendChild(document.createTextNode(text));
    return p;
  }

  function renderReply(reply, push, entryId) {
    var p = bubble("bot", reply.text, push, entryId);
    if (reply.image && /^data:image\/png;base64,/.test(reply.image.src)) {
      var img = document.createElement("img");
      img.src = reply.image.src;
      img.alt = reply.image.alt || "";
      p.appendChild(img);
    }
    if (reply.buttons && reply.buttons.length) {
      var box = document.createElement("div");
      box.className = "choices";
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", "Chọn một mục");
      reply.buttons.forEach(function (row) {
        var r = document.createElement("div");
        r.className = "row";
        row.forEach(function (b) {
          var btn = document.createElement("button");
          btn.type = "button";
          btn.className = "choice";
          btn.textContent = b.label;
          btn.addEventListener("click", function () { post({ payload: b.payload, label: b.label }, true); });
          r.appendChild(btn);
        });
        box.appendChild(r);
      });
      p.appendChild(box);
    }
    return p;
  }

  /** Adds the entries not shown yet, in order. */
  function render(entries) {
    var before = log.lastChild;
    entries.forEach(function (entry) {
      if (shown[entry.id]) return;
      shown[entry.id] = true;
      if (entry.id > lastId) lastId = entry.id;
      if (entry.from === "user") {
        log.appendChild(bubble("user", entry.text || "", false, entry.id));
      } else {
        (entry.replies || []).forEach(function (reply) {
          log.appendChild(renderReply(reply, entry.push, entry.id));
        });
      }
    });
    reveal(before ? before.nextSibling : log.firstChild);
  }

  function api(path, body) {
    return fetch(path, {
      method: body === undefined ? "GET" : "POST",
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json", "x-csrf-token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var err = new Error(data.message || "Lỗi " + res.status);
          err.status = res.status;
          throw err;
        }
        return data;
      });
    });
  }

  function post(body, fromButton) {
    if (busy) return;
    busy = true;
    send.disabled = true;
    setStatus("Trợ lý đang trả lời…");
    return api("/chat/api/message", body)
      .then(function (data) {
        setStatus("");
        var entries = data.entries || [];
        render(entries);
        // Keyboard users: after a button, the new answer's first button; after typing, the input. The
        // answer may already be on the page (the event stream can be faster than this response).
        var answer = entries.filter(function (e) { return e.from === "bot"; }).pop();
        var first = answer && log.querySelector('[data-entry="' + answer.id + '"] button.choice');
        if (fromButton && first) first.focus();
        else if (fromButton) input.focus();
      })
      .catch(function (err) {
        setStatus(err.status === 403 ? "Phiên đã hết hạn. Đang tải lại trang…" : err.message || "Không gửi được. Bạn thử lại nhé.");
        if (err.status === 403) setTimeout(function () { location.reload(); }, 1500);
      })
      .then(function () {
        busy = false;
        send.disabled = false;
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    post({ text: text }, false);
    input.focus();
  });

  // ── Voice input, only where the browser offers speech recognition (never required) ──
  var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  var mic = document.getElementById("mic");
  if (Recognition && mic) {
    var listening = null;
    mic.hidden = false;
    mic.addEventListener("click", function () {
      if (listening) { listening.stop(); return; }
      var rec;
      try { rec = new Recognition(); } catch (e) { mic.hidden = true; return; }
      rec.lang = "vi-VN";
      rec.interimResults = false;
      rec.maxAlternatives = 1;
      rec.onresult = function (event) {
        var said = event.results && event.results[0] && event.results[0][0] ? String(event.results[0][0].transcript || "").trim() : "";
        if (said) post({ text: said.slice(0, 2000) }, false);
      };
      rec.onerror = function (event) {
        setStatus(event.error === "not-allowed" || event.error === "service-not-allowed"
          ? "Trình duyệt chưa cho dùng micrô. Bạn gõ câu hỏi nhé."
          : "Chưa nghe rõ. Bạn nói lại hoặc gõ câu hỏi nhé.");
      };
      rec.onend = function () {
        listening = null;
        mic.setAttribute("aria-pressed", "false");
        if (status.textContent === "Đang nghe… mời bạn nói.") setStatus("");
      };
      try {
        rec.start();
        listening = rec;
        mic.setAttribute("aria-pressed", "true");
        setStatus("Đang nghe… mời bạn nói.");
      } catch (e) {
        setStatus("Không dùng được micrô. Bạn gõ câu hỏi nhé.");
      }
    });
  }

  resetButton.addEventListener("click", function () {
    if (!window.confirm("Xóa toàn bộ cuộc trò chuyện trên máy này?")) return;
    api("/chat/api/reset", {}).then(function () { location.reload(); }, function () { location.reload(); });
  });

  // ── In the widget's iframe, Escape closes the widget (key events do not leave the frame) ──
  if (params.get("embed") === "1" && window.parent !== window) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") window.parent.postMessage({ troly06: "close" }, "*");
    });
  }

  // ── New messages from officers (server-sent events; plain polling without EventSource) ──
  function listen() {
    if (!window.EventSource) {
      setInterval(function () {
        api("/chat/api/history?after=" + lastId).then(function (d) { render(d.entries || []); }, function () {});
      }, 10000);
      return;
    }
    var source = new EventSource("/chat/api/events?after=" + lastId);
    source.addEventListener("entry", function (event) {
      try { render([JSON.parse(event.data)]); } catch (e) {}
    });
  }

  // ── Start: the conversation so far, or a greeting (with the unit of the QR code or widget) ──
  var greeting = (params.get("greeting") || "").trim().slice(0, 300);
  api("/chat/api/history")
    .then(function (data) {
      var entries = data.entries || [];
      if (greeting) log.appendChild(bubble("bot", greeting));
      render(entries);
      if (!entries.length) {
        var unit = params.get("unit") || "";
        return post({ start: /^[A-Za-z0-9_-]{1,32}$/.test(unit) ? { unit: unit } : {} }, false);
      }
    })
    .catch(function () { setStatus("Không tải được cuộc trò chuyện. Bạn thử tải lại trang."); })
    .then(listen);
})();
