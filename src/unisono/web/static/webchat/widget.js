/* Unisono webchat widget: plain JavaScript, no build step, no dependencies.
 * Embed: <script src="https://unisono.example/widget.js" data-channel="<channel id>"
 *   data-user="<optional user id>" data-user-hash="<optional HMAC>" async></script>
 * Styles live in a shadow root so the host page and the widget cannot restyle each other. */
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector('script[data-channel][src*="widget.js"]');
  if (!script || window.__unisonoWebchat) return;
  window.__unisonoWebchat = true;
  var channel = script.getAttribute("data-channel") || "";
  var user = script.getAttribute("data-user") || "";
  var userHash = script.getAttribute("data-user-hash") || "";
  var base = new URL(script.src, location.href);
  var wsUrl = (base.protocol === "https:" ? "wss://" : "ws://") + base.host +
    "/webchat/" + encodeURIComponent(channel) + "/ws";

  var TEXTS = {
    it: {
      open: "Chat con l'assistenza", close: "Chiudi la chat", title: "Scrivici",
      hello: "Ciao! Come possiamo aiutarti?", label: "Il tuo messaggio",
      placeholder: "Scrivi un messaggio…", send: "Invia",
      connecting: "Connessione in corso…", offline: "Connessione persa, riprovo…",
      refused: "La chat non è disponibile su questo sito.",
      you: "Tu", us: "Operatore", sending: "invio…",
      idLabel: "Email o telefono per ricontattarti", idSend: "Lascia il contatto",
      idDone: "Grazie, ti ricontatteremo se serve.", error: "Errore"
    },
    en: {
      open: "Chat with support", close: "Close chat", title: "Chat with us",
      hello: "Hi! How can we help?", label: "Your message",
      placeholder: "Type a message…", send: "Send",
      connecting: "Connecting…", offline: "Connection lost, retrying…",
      refused: "The chat is not available on this site.",
      you: "You", us: "Agent", sending: "sending…",
      idLabel: "Email or phone so we can get back to you", idSend: "Leave contact",
      idDone: "Thanks, we will get back to you if needed.", error: "Error"
    }
  };
  var lang = (document.documentElement.lang || navigator.language || "en").toLowerCase();
  var t = lang.indexOf("it") === 0 ? TEXTS.it : TEXTS.en;

  function randomId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var s = "";
    for (var i = 0; i < 32; i++) s += Math.floor(Math.random() * 16).toString(16);
    return s;
  }

  // The anonymous visitor id survives reloads; private modes may refuse localStorage.
  var storeKey = "unisono.webchat.visitor." + channel;
  var visitorId;
  try {
    visitorId = localStorage.getItem(storeKey);
    if (!visitorId) { visitorId = randomId(); localStorage.setItem(storeKey, visitorId); }
  } catch (e) { visitorId = visitorId || randomId(); }

  var host = document.createElement("div");
  host.setAttribute("data-unisono-webchat", "");
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var panelId = "unisono-webchat-panel";
  root.innerHTML =
    "<style>" +
    ":host{all:initial}*{box-sizing:border-box;font:14px/1.4 system-ui,sans-serif}" +
    ".l{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;" +
    "border:0;background:#1f5fbf;color:#fff;font-size:24px;cursor:pointer;z-index:2147483000;" +
    "box-shadow:0 2px 8px rgba(0,0,0,.3)}" +
    ".l:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #f5a623;" +
    "outline-offset:2px}" +
    ".p{position:fixed;right:20px;bottom:88px;width:340px;max-width:calc(100vw - 40px);" +
    "height:460px;max-height:calc(100vh - 110px);background:#fff;color:#1b1b1b;" +
    "border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.25);display:flex;" +
    "flex-direction:column;overflow:hidden;z-index:2147483000}" +
    ".p[hidden]{display:none}" +
    ".h{display:flex;align-items:center;justify-content:space-between;padding:10px 14px;" +
    "background:#1f5fbf;color:#fff}.h h2{margin:0;font-size:16px;font-weight:600}" +
    ".h button{background:none;border:0;color:#fff;font-size:20px;cursor:pointer}" +
    ".s{padding:4px 14px;font-size:12px;color:#5a5a5a;min-height:20px}" +
    ".m{flex:1;overflow-y:auto;padding:8px 14px;margin:0;list-style:none}" +
    ".m li{margin:6px 0;max-width:85%;padding:7px 10px;border-radius:10px;" +
    "white-space:pre-wrap;word-wrap:break-word}" +
    ".m .v{margin-left:auto;background:#1f5fbf;color:#fff}" +
    ".m .o{background:#eef1f5}.m .x{opacity:.6}" +
    ".vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}" +
    "form{display:flex;gap:6px;padding:8px 10px;border-top:1px solid #e2e2e2}" +
    "input{flex:1;min-width:0;padding:8px;border:1px solid #8a8a8a;border-radius:6px}" +
    "form button{padding:8px 12px;border:0;border-radius:6px;background:#1f5fbf;color:#fff;" +
    "cursor:pointer}.i{border-top:0;padding-top:0}.i input,.i button{font-size:12px}" +
    "</style>" +
    '<button class="l" type="button" aria-expanded="false" aria-controls="' + panelId +
    '"><span aria-hidden="true">\u{1F4AC}</span><span class="vh"></span></button>' +
    '<section class="p" id="' + panelId + '" role="dialog" aria-labelledby="uw-t" hidden>' +
    '<div class="h"><h2 id="uw-t"></h2><button type="button" class="c"></button></div>' +
    '<div class="s" role="status" aria-live="polite"></div>' +
    '<ol class="m" role="log" aria-live="polite"></ol>' +
    '<form class="f"><label class="vh" for="uw-in"></label>' +
    '<input id="uw-in" autocomplete="off" maxlength="4000"><button type="submit"></button></form>' +
    '<form class="f i"><label class="vh" for="uw-id"></label>' +
    '<input id="uw-id" autocomplete="email"><button type="submit"></button></form>' +
    "</section>";

  function $(sel) { return root.querySelector(sel); }
  var launcher = $(".l"), panel = $(".p"), statusEl = $(".s"), log = $(".m");
  var forms = root.querySelectorAll("form");
  var form = forms[0], input = $("#uw-in"), idForm = forms[1], idInput = $("#uw-id");
  launcher.querySelector(".vh").textContent = t.open;
  launcher.setAttribute("title", t.open);
  $("#uw-t").textContent = t.title;
  $(".c").textContent = "\u00d7";
  $(".c").setAttribute("aria-label", t.close);
  form.querySelector("label").textContent = t.label;
  input.setAttribute("placeholder", t.placeholder);
  form.querySelector("button").textContent = t.send;
  idForm.querySelector("label").textContent = t.idLabel;
  idInput.setAttribute("placeholder", t.idLabel);
  idForm.querySelector("button").textContent = t.idSend;
  if (user) idForm.hidden = true;

  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    // The launcher is a disclosure button: its name stays, aria-expanded tells the state.
    if (open) {
      launcher.style.background = "";
      input.focus();
      log.scrollTop = log.scrollHeight;
    } else launcher.focus();
  }
  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  $(".c").addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") setOpen(false); });

  var byId = {}, byClient = {}, pending = {}, pendingOrder = [];

  function render(who, text, extra) {
    var li = document.createElement("li");
    li.className = who === "visitor" ? "v" : "o";
    var label = document.createElement("span");
    label.className = "vh";
    label.textContent = (who === "visitor" ? t.you : t.us) + ": ";
    li.appendChild(label);
    li.appendChild(document.createTextNode(text));
    if (extra) li.className += " " + extra;
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }

  function show(m) {
    if (byId[m.id]) return;
    var li = m.client_id && byClient[m.client_id];
    if (!li) li = render(m.from, m.text);
    if (m.client_id) byClient[m.client_id] = li;
    li.classList.remove("x");
    li.setAttribute("data-id", m.id);
    byId[m.id] = li;
    if (m.from !== "visitor" && panel.hidden) launcher.style.background = "#c0392b";
  }

  var ws = null, ready = false, attempt = 0, refused = false;

  function send(frame) {
    if (ws && ready && ws.readyState === 1) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function flush() {
    for (var i = 0; i < pendingOrder.length; i++) {
      var p = pending[pendingOrder[i]];
      if (p) send({ type: "message", text: p.text, client_id: p.client_id });
    }
  }

  function connect() {
    statusEl.textContent = attempt ? t.offline : t.connecting;
    try { ws = new WebSocket(wsUrl); } catch (e) { return retry(); }
    ws.onopen = function () {
      var hello = { type: "hello", visitor_id: visitorId };
      if (user) { hello.user_id = user; hello.user_hash = userHash; }
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = function (event) {
      var f;
      try { f = JSON.parse(event.data); } catch (e) { return; }
      if (f.type === "ready") {
        ready = true; attempt = 0; statusEl.textContent = "";
        send({ type: "history" });
        flush();
      } else if (f.type === "history") {
        for (var i = 0; i < f.messages.length; i++) show(f.messages[i]);
      } else if (f.type === "message") {
        show(f);
      } else if (f.type === "ack") {
        delete pending[f.client_id];
        pendingOrder = pendingOrder.filter(function (c) { return c !== f.client_id; });
        var li = byClient[f.client_id];
        if (li) { li.classList.remove("x"); li.setAttribute("data-id", f.id); byId[f.id] = li; }
      } else if (f.type === "identified") {
        idForm.hidden = true;
        statusEl.textContent = t.idDone;
      } else if (f.type === "error") {
        if (f.code === "refused") refused = true;
        statusEl.textContent = t.error + ": " + f.detail;
      }
    };
    ws.onclose = function (event) {
      ready = false; ws = null;
      if (event.code === 1008 || refused) { statusEl.textContent = t.refused; return; }
      retry();
    };
  }

  function retry() {
    // Exponential backoff with jitter, so a restarted server is not hit by every page at once.
    var delay = Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
    attempt++;
    statusEl.textContent = t.offline;
    setTimeout(connect, delay);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    var clientId = randomId();
    pending[clientId] = { text: text, client_id: clientId };
    pendingOrder.push(clientId);
    byClient[clientId] = render("visitor", text, "x");
    input.value = "";
    send({ type: "message", text: text, client_id: clientId });
  });

  idForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var value = idInput.value.trim();
    if (!value) return;
    send(value.indexOf("@") > 0 ? { type: "identify", email: value } :
      { type: "identify", phone: value });
  });

  function start() {
    document.body.appendChild(host);
    render("operator", t.hello);
    connect();
    // Proxies drop idle sockets; a ping every 25 s keeps the connection alive.
    setInterval(function () { send({ type: "ping" }); }, 25000);
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
