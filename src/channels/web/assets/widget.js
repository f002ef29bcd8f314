// Trợ lý 06 widget: <script src="(address of the bot)/widget.js" data-unit="19123" data-color="#0b4f9c"
// data-greeting="Xin chào!" defer></script> adds a chat button to the page; it opens the bot's /chat in an
// iframe. Nothing is loaded before the button is pressed, and nothing from any other host.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__troly06Widget) return;
  window.__troly06Widget = true;
  var base = new URL(script.src, location.href).origin;
  var unit = script.getAttribute("data-unit") || "";
  var color = script.getAttribute("data-color") || "";
  var greeting = (script.getAttribute("data-greeting") || "").slice(0, 300);
  var label = script.getAttribute("data-label") || "Hỏi Trợ lý 06";
  if (!/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(color)) color = "#0b4f9c";
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(unit)) unit = "";

  function css(el, styles) { for (var k in styles) el.style[k] = styles[k]; return el; }

  var button = css(document.createElement("button"), {
    position: "fixed", right: "16px", bottom: "16px", zIndex: "2147483000",
    minHeight: "56px", padding: "0 22px", borderRadius: "28px", border: "3px solid #fff",
    background: color, color: "#fff", font: "700 18px/1.2 system-ui, sans-serif",
    boxShadow: "0 2px 10px rgba(0,0,0,.35)", cursor: "pointer",
  });
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "troly06-panel");

  var panel = css(document.createElement("div"), {
    position: "fixed", zIndex: "2147483001", display: "none", flexDirection: "column",
    background: "#fff", border: "2px solid " + color, boxShadow: "0 4px 24px rgba(0,0,0,.4)",
  });
  panel.id = "troly06-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "Trò chuyện với Trợ lý 06");

  var close = css(document.createElement("button"), {
    alignSelf: "flex-end", minHeight: "44px", margin: "4px", padding: "0 16px",
    background: "#fff", color: "#111", border: "2px solid #111", borderRadius: "8px",
    font: "700 17px/1.2 system-ui, sans-serif", cursor: "pointer",
  });
  close.type = "button";
  close.textContent = "Đóng ✕";
  close.setAttribute("aria-label", "Đóng khung trò chuyện");

  var frame = css(document.createElement("iframe"), { flex: "1", width: "100%", border: "0" });
  frame.title = "Trò chuyện với Trợ lý 06";
  // Voice input in the chat, where the portal's own Permissions-Policy allows the microphone.
  frame.setAttribute("allow", "microphone");

  panel.appendChild(close);
  panel.appendChild(frame);

  function place() {
    var phone = window.innerWidth < 600;
    css(panel, phone
      ? { left: "0", right: "0", top: "0", bottom: "0", width: "auto", height: "auto", borderRadius: "0" }
      : { left: "auto", top: "auto", right: "16px", bottom: "84px", width: "400px", height: "min(640px, calc(100vh - 100px))", borderRadius: "12px" });
  }

  function open() {
    if (!frame.src) {
      var q = new URLSearchParams({ embed: "1" });
      if (unit) q.set("unit", unit);
      if (color) q.set("color", color);
      if (greeting) q.set("greeting", greeting);
      frame.src = base + "/chat?" + q.toString();
    }
    place();
    panel.style.display = "flex";
    button.setAttribute("aria-expanded", "true");
    frame.focus();
  }

  function hide() {
    panel.style.display = "none";
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }

  button.addEventListener("click", function () { panel.style.display === "flex" ? hide() : open(); });
  close.addEventListener("click", hide);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") hide(); });
  // Escape pressed inside the chat (the iframe tells us).
  window.addEventListener("message", function (e) {
    if (e.origin === base && e.source === frame.contentWindow && e.data && e.data.troly06 === "close") hide();
  });
  window.addEventListener("resize", function () { if (panel.style.display === "flex") place(); });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
