"use strict";
/* The console's live lists and the inbox's keyboard shortcuts.
 *
 * A live list ([data-live-src]) listens to the server's event stream (/live) and fetches its
 * fragment again when something changed, and every minute (waits grow without any event). The
 * inbox keeps the operator's selection and focus across those refreshes and announces new
 * conversations politely. Without JavaScript every page still works: filters are a GET form,
 * rows are links.
 */
(function () {
  var REFRESH_EVERY_MS = 60000;
  var TYPING = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";

  function announce(text) {
    var status = document.getElementById("live-status");
    if (!status || !text) return;
    // Screen readers announce a change of text: empty it first so a repeated message is read.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 60);
  }

  /* Fetch container's fragment on every change event; one request at a time, coalesced.
   * ``swap(html, changed)`` gets the ids of the conversations the events named meanwhile. */
  function liveList(container, swap) {
    var busy = false;
    var again = false;
    var changed = {};

    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      var named = changed;
      changed = {};
      fetch(container.dataset.liveSrc, {
        credentials: "same-origin",
        headers: { "HX-Request": "true" },
      })
        .then(function (response) {
          // A redirect means the session ended: leave the page as it is.
          if (!response.ok || response.redirected) return null;
          return response.text();
        })
        .then(function (html) { if (html !== null) swap(html, named); })
        .catch(function () { /* offline for a moment: the next event or the timer retries */ })
        .then(function () {
          busy = false;
          if (again) { again = false; refresh(); }
        });
    }

    if (window.EventSource) {
      var since = container.dataset.liveSince || "";
      var source = new EventSource("/live?since=" + encodeURIComponent(since));
      source.addEventListener("inbox-changed", function (event) {
        try {
          JSON.parse(event.data).conversations.forEach(function (id) { changed[id] = true; });
        } catch (error) { /* a malformed event still means "something changed" */ }
        refresh();
      });
      window.addEventListener("pagehide", function () { source.close(); });
    }
    window.setInterval(refresh, REFRESH_EVERY_MS);
    return refresh;
  }

  /* --- the inbox ---------------------------------------------------------------------------- */

  function inbox(container) {
    var unnamed = {};
    var selectedId = null;
    var selectedIndex = -1;

    function rows() { return Array.prototype.slice.call(container.querySelectorAll("tr.inbox__row")); }
    function link(row) { return row.querySelector("a.row-link"); }
    function current() {
      return selectedId ? container.querySelector('tr.inbox__row[data-id="' + selectedId + '"]') : null;
    }

    function select(row, focus) {
      rows().forEach(function (other) {
        other.classList.remove("is-selected");
        var a = link(other);
        if (a) a.removeAttribute("aria-current");
      });
      if (!row) { selectedId = null; selectedIndex = -1; return; }
      row.classList.add("is-selected");
      var a = link(row);
      if (a) {
        a.setAttribute("aria-current", "true");
        if (focus) a.focus({ preventScroll: true });
      }
      row.scrollIntoView({ block: "nearest" });
      selectedId = row.dataset.id;
      selectedIndex = rows().indexOf(row);
    }

    function move(step) {
      var all = rows();
      if (!all.length) return;
      var index = all.indexOf(current());
      index = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(index + step, 0), all.length - 1);
      select(all[index], true);
    }

    function open(hash) {
      var row = current();
      if (row) window.location.assign(row.dataset.url + (hash || ""));
    }

    function resolve() {
      var row = current();
      var form = document.getElementById("resolve-form");
      if (!row || !form) return;
      var body = new URLSearchParams(new FormData(form));
      body.set("conversation", row.dataset.id);
      var name = link(row) ? link(row).textContent.trim() : "";
      var id = row.dataset.id;
      fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "HX-Request": "true" },
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          // A live refresh may have replaced the rows meanwhile: find the resolved one again.
          var all = rows();
          var shown = container.querySelector('tr.inbox__row[data-id="' + id + '"]');
          var index = shown ? all.indexOf(shown) : Math.max(selectedIndex, 0);
          if (shown) shown.remove();
          var rest = rows();
          select(rest[Math.min(index, rest.length - 1)] || null, true);
          announce((container.dataset.msgResolved || "").replace("{customer}", name));
          refresh();
        })
        .catch(function () { announce(container.dataset.msgFailed || ""); });
    }

    function swap(html, changed) {
      var before = {};
      rows().forEach(function (row) { before[row.dataset.id] = true; });
      var hadFocus = container.contains(document.activeElement);
      container.innerHTML = html;
      var all = rows();
      // New to the list and named by an event: a row that only moved up a page is not news.
      // A fetch may show a row before the event naming it arrives (the event then triggers the
      // next fetch): such rows wait in ``unnamed`` for their event.
      var added = 0;
      all.forEach(function (row) {
        var id = row.dataset.id;
        var isNew = !before[id] || unnamed[id];
        if (isNew && changed[id]) { added += 1; delete unnamed[id]; }
        else if (!before[id]) unnamed[id] = true;
      });
      if (selectedId !== null) {
        // The same conversation if it is still listed, else the row now in its place.
        var row = current() || all[Math.min(selectedIndex, all.length - 1)] || null;
        select(row, hadFocus);
      }
      if (added > 0) announce((container.dataset.msgNew || "").replace("{count}", String(added)));
    }

    var refresh = liveList(container, swap);

    // A row reached with Tab or a click becomes the selection, so j/k go on from there.
    container.addEventListener("focusin", function (event) {
      var row = event.target.closest && event.target.closest("tr.inbox__row");
      if (row && row.dataset.id !== selectedId) select(row, false);
    });

    var dialog = document.getElementById("shortcuts");
    var help = document.querySelector("[data-shortcuts-open]");
    function showHelp() {
      if (dialog && typeof dialog.showModal === "function" && !dialog.open) dialog.showModal();
    }
    if (help && dialog && typeof dialog.showModal === "function") {
      help.hidden = false;
      help.addEventListener("click", showHelp);
    }

    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      var target = event.target;
      if (target && target.closest && target.closest(TYPING)) return;
      if (dialog && dialog.open) return;  // the dialog has its own keys (Escape closes it)
      switch (event.key) {
        case "j": move(1); break;
        case "k": move(-1); break;
        case "o": open(""); break;
        case "Enter":
          // On a link or button Enter already does its job.
          if (target && target.closest && target.closest("a, button")) return;
          open("");
          break;
        case "r": open("#composer"); break;
        case "e": resolve(); break;
        case "?": showHelp(); break;
        default: return;
      }
      event.preventDefault();
    });
  }

  /* --- the supervisor's queues --------------------------------------------------------------- */

  function supervisor(container) {
    liveList(container, function (html) { container.innerHTML = html; });
  }

  /* --- the conversation page: "r" in the inbox lands on the reply box ------------------------ */

  function focusComposer() {
    if (window.location.hash !== "#composer") return;
    var target = document.getElementById("composer");
    if (!target) return;
    var field = target.matches("textarea, input, select") ? target
      : target.querySelector("textarea, input:not([type='hidden']), select");
    if (field) field.focus();
  }

  function start() {
    var list = document.getElementById("inbox-live");
    if (list) inbox(list);
    var queues = document.getElementById("supervisor-live");
    if (queues) supervisor(queues);
    focusComposer();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
