"use strict";
/* The conversation page: canned responses typed as /shortcut in the composer, a studio
   template's text inserted to be edited, keyboard shortcuts, and focus kept where the operator
   was when htmx swaps a form. Everything here is
   an improvement: every form also works as a plain POST without this file. */
(function () {
  var SUGGEST_DELAY = 120;
  var timer = null;
  var lastQuery = null;
  var active = -1;
  var items = [];
  var focusId = null;

  function textarea() { return document.getElementById("composer-text"); }
  function list() { return document.getElementById("composer-canned"); }
  function statusLine() { return document.getElementById("composer-canned-status"); }

  /* The "/word" being typed at the caret, when the slash starts a word. */
  function slashWord(field) {
    var end = field.selectionStart;
    if (end !== field.selectionEnd) { return null; }
    var before = field.value.slice(0, end);
    var match = /(^|\s)\/([a-z0-9-]{0,64})$/.exec(before);
    if (!match) { return null; }
    return { start: end - match[2].length - 1, end: end, prefix: match[2] };
  }

  function close() {
    var ul = list();
    var field = textarea();
    items = [];
    active = -1;
    lastQuery = null;
    if (ul) { ul.hidden = true; ul.textContent = ""; }
    if (field) {
      field.setAttribute("aria-expanded", "false");
      field.removeAttribute("aria-activedescendant");
    }
  }

  function announce(count) {
    var line = statusLine();
    if (!line) { return; }
    if (count === 0) { line.textContent = line.dataset.none; }
    else if (count === 1) { line.textContent = line.dataset.one; }
    else { line.textContent = line.dataset.many.replace("{n}", String(count)); }
  }

  function highlight(index) {
    var ul = list();
    var field = textarea();
    if (!ul || !field || !items.length) { return; }
    active = (index + items.length) % items.length;
    Array.prototype.forEach.call(ul.children, function (li, i) {
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      if (i === active) { li.scrollIntoView({ block: "nearest" }); }
    });
    field.setAttribute("aria-activedescendant", "canned-" + active);
  }

  function show(found) {
    var ul = list();
    var field = textarea();
    if (!ul || !field) { return; }
    items = found;
    ul.textContent = "";
    announce(found.length);
    if (!found.length) { close(); return; }
    found.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = "canned-" + i;
      li.setAttribute("role", "option");
      li.className = "canned__item";
      var code = document.createElement("span");
      code.className = "canned__shortcut";
      code.textContent = "/" + item.shortcut;
      var title = document.createElement("span");
      title.className = "canned__title";
      title.textContent = item.title;
      li.appendChild(code);
      li.appendChild(title);
      li.addEventListener("mousedown", function (event) {
        event.preventDefault();  // keep the focus in the textarea
        insert(i);
      });
      ul.appendChild(li);
    });
    ul.hidden = false;
    field.setAttribute("aria-expanded", "true");
    highlight(0);
  }

  function insert(index) {
    var field = textarea();
    var word = field ? slashWord(field) : null;
    var item = items[index];
    if (!field || !word || !item) { close(); return; }
    field.setRangeText(item.body, word.start, word.end, "end");
    close();
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.focus();
  }

  function suggest() {
    var field = textarea();
    var form = document.getElementById("composer");
    var word = field ? slashWord(field) : null;
    if (!word || !form || field.disabled) { close(); return; }
    if (word.prefix === lastQuery) { return; }
    lastQuery = word.prefix;
    var url = (form.dataset.cannedUrl || "/canned") + "?q=" + encodeURIComponent(word.prefix);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (found) {
        var now = textarea() ? slashWord(textarea()) : null;
        if (now && now.prefix === word.prefix) { show(Array.isArray(found) ? found : []); }
      })
      .catch(function () { close(); });
  }

  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "composer-text") {
      window.clearTimeout(timer);
      timer = window.setTimeout(suggest, SUGGEST_DELAY);
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && target.id === "composer-text") {
      var open = items.length > 0 && !list().hidden;
      if (open && event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); return; }
      if (open && event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); return; }
      if (open && (event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
        event.preventDefault();
        insert(active);
        return;
      }
      if (open && event.key === "Escape") { event.preventDefault(); close(); return; }
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        var send = document.querySelector('#composer button[value="send"]');
        if (send && !send.disabled) { event.preventDefault(); target.form.requestSubmit(send); }
      }
      return;
    }
    // "r" anywhere outside a field goes to the composer.
    if (event.key === "r" && !event.ctrlKey && !event.metaKey && !event.altKey && target &&
        !/^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName) && !target.isContentEditable) {
      var field = textarea();
      if (field && !field.disabled) { event.preventDefault(); field.focus(); }
    }
  });

  /* A studio template's text into the textarea, to be edited before it is sent ("Insert": only
     where free text may be sent; hidden without this file, where it could do nothing). */
  function revealInsert(root) {
    Array.prototype.forEach.call(
      (root || document).querySelectorAll("[data-template-insert][hidden]"),
      function (button) { button.hidden = false; }
    );
  }

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-template-insert]") : null;
    if (!button) { return; }
    var item = button.closest(".tpl");
    var source = item ? item.querySelector(".tpl__text") : null;
    var field = textarea();
    if (!source || !field || field.disabled) { return; }
    event.preventDefault();
    var body = source.textContent;
    if (field.value.trim() === "") {
      field.value = body;
      field.setSelectionRange(body.length, body.length);
    } else {
      // Where the caret is, on a line of its own.
      var at = field.selectionStart;
      var before = field.value.slice(0, at);
      var glue = before && !/\n$/.test(before) ? "\n" : "";
      field.setRangeText(glue + body, at, field.selectionEnd, "end");
    }
    field.dispatchEvent(new Event("input", { bubbles: true }));
    close();
    field.focus();
  });

  if (window.htmx) { window.htmx.onLoad(revealInsert); }
  else { document.addEventListener("DOMContentLoaded", function () { revealInsert(document); }); }

  document.addEventListener("focusout", function (event) {
    if (event.target && event.target.id === "composer-text") { window.setTimeout(close, 150); }
  });

  /* A refused form comes back as 422 with the error inside it: show it (htmx skips 4xx). A
     request that ended on the login page (the session expired) must not land inside the page. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var url = detail.xhr && detail.xhr.responseURL ? detail.xhr.responseURL : "";
    if (url && new URL(url).pathname === "/login") {
      detail.shouldSwap = false;
      if (detail.requestConfig && detail.requestConfig.verb !== "get") { location.assign(url); }
      return;
    }
    if (detail.xhr && detail.xhr.status === 422) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
    var current = document.activeElement;
    focusId = current && current.id ? current.id : null;
  });

  var CARD_ACTION = /\/(assign|team|status|priority|labels)$/;

  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail && event.detail.requestConfig;
    var path = config && config.path ? config.path : "";
    var again = focusId ? document.getElementById(focusId) : null;
    if (/\/templates\/send$/.test(path)) {
      // Sent: back to writing; refused: to the list, where the error is read first.
      var heading = document.getElementById("composer-templates-title");
      var writable = textarea();
      if (document.getElementById("composer-error") && heading) { heading.focus(); }
      else if (writable && !writable.disabled) { writable.focus(); }
      else if (heading) { heading.focus(); }
      return;
    }
    if (/\/compose$/.test(path)) {
      var field = textarea();
      close();
      if (document.getElementById("composer-error") && field && !field.disabled) { field.focus(); }
      else if (again) { again.focus(); }
      else if (field && !field.disabled) { field.focus(); }
      return;
    }
    if (CARD_ACTION.test(path)) {
      var card = document.getElementById("conversation-card");
      if (again) { again.focus(); }
      else if (card) { card.setAttribute("tabindex", "-1"); card.focus(); }
    }
  });
})();
