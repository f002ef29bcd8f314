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
          btn.addEventListener("click", function () {
            var done = post({ payload: b.payload, label: b.label }, true);
            if (done && /^sub:/.test(b.payload)) done.then(refreshStatus);
          });
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
    try { localStorage.setItem("troly06-seen", String(lastId)); } catch (e) {}
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
    if (busy) return Promise.resolve();
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

  // ── «Nhận thông báo» and «Chuyển sang Zalo / Telegram» ──
  var extras = document.getElementById("extras");
  var subState = document.getElementById("sub-state");
  var subButton = document.getElementById("subscribe");
  var moveButton = document.getElementById("move");
  var movePanel = document.getElementById("move-panel");
  var current = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function showMove(unit, ways) {
    movePanel.textContent = "";
    ways.forEach(function (way) {
      if (!/^https:\/\//.test(way.link)) return;
      var box = el("div", "way");
      box.setAttribute("data-channel", way.channel);
      box.appendChild(el("h2", "", way.label));
      var go = el("a", "go", "Mở " + way.label);
      go.href = way.link;
      go.target = "_blank";
      go.rel = "noopener noreferrer";
      box.appendChild(go);
      if (way.firstMessage) {
        box.appendChild(el("p", "", "Khi " + way.label + " mở ra, nhắn tin này để nhận thông báo" + (unit ? " của " + unit.label : "") + ":"));
        box.appendChild(el("p", "send-this", way.firstMessage));
      } else if (unit) {
        box.appendChild(el("p", "", "Bấm «Bắt đầu» trong " + way.label + ", bạn sẽ nhận thông báo của " + unit.label + " ở đó."));
      }
      if (/^data:image\/png;base64,/.test(way.qr)) {
        box.appendChild(el("p", "", "Đang dùng máy tính? Quét mã này bằng điện thoại:"));
        var img = document.createElement("img");
        img.src = way.qr;
        img.alt = "Mã QR mở " + way.label;
        box.appendChild(img);
      }
      movePanel.appendChild(box);
    });
    movePanel.appendChild(el("p", "", "Cuộc trò chuyện ở trang này không chuyển theo; bạn hỏi lại ở đó nhé."));
  }

  function showStatus(data) {
    current = data;
    var unit = data.unit;
    if (data.subscribed && unit) {
      subState.textContent = "Bạn đang nhận thông báo của " + unit.label + " tại trang này.";
      subButton.textContent = "Ngừng nhận thông báo";
    } else {
      subState.textContent = "";
      subButton.textContent = unit ? "Nhận thông báo của " + unit.label : "Nhận thông báo của xã, phường";
    }
    subButton.hidden = false;
    var ways = data.move || [];
    moveButton.hidden = !ways.length;
    if (ways.length) {
      moveButton.textContent = "Chuyển sang " + ways.map(function (w) { return w.label; }).join(" / ");
      showMove(unit, ways);
    }
    extras.hidden = false;
  }

  function refreshStatus() {
    return api("/chat/api/status").then(showStatus, function () {});
  }

  subButton.addEventListener("click", function () {
    if (!current) return;
    if (current.subscribed) return post({ text: "/huy" }, false).then(refreshStatus);
    if (current.unit) return post({ payload: current.unit.subscribePayload, label: subButton.textContent }, false).then(refreshStatus);
    // No unit yet: the citizen names their commune.
    input.value = "/dangky ";
    input.focus();
    setStatus("Gõ tên xã, phường của bạn sau chữ /dangky rồi bấm Gửi.");
  });

  moveButton.addEventListener("click", function () {
    var open = movePanel.hidden;
    movePanel.hidden = !open;
    moveButton.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) movePanel.focus();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    var after = post({ text: text }, false);
    if (text.charAt(0) === "/" || /^(dk|đk|đăng ký|dang ky)\b/i.test(text)) after.then(refreshStatus);
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
    try { localStorage.removeItem("troly06-seen"); } catch (e) {}
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
      // Announcements and officers' answers that came while the page was closed: say how many.
      var seen = 0;
      try { seen = Number(localStorage.getItem("troly06-seen") || 0); } catch (e) {}
      var fresh = seen ? entries.filter(function (e) { return e.push && e.id > seen; }) : [];
      render(entries);
      if (fresh.length) {
        setStatus(fresh.length === 1 ? "Có 1 tin mới từ lần trước bạn vào." : "Có " + fresh.length + " tin mới từ lần trước bạn vào.");
        var firstNew = log.querySelector('[data-entry="' + fresh[0].id + '"]');
        if (firstNew) main.scrollTop = firstNew.offsetTop - 8;
      }
      if (!entries.length) {
        var unit = params.get("unit") || "";
        return post({ start: /^[A-Za-z0-9_-]{1,32}$/.test(unit) ? { unit: unit } : {} }, false);
      }
    })
    .catch(function () { setStatus("Không tải được cuộc trò chuyện. Bạn thử tải lại trang."); })
    .then(function () {
      listen();
      refreshStatus();
    });
})();
