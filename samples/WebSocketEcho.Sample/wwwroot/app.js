"use strict";

// The chapter's page, made friendly: the socket URL follows the page (ws: or wss:, same host, port and path),
// every event (open, sent, received, error, close with code and reason) is written to the page itself, and the
// server's counters from /stats are shown and refreshed every second.
(function () {
  const socketUrl = new URL("echo", location.href);
  socketUrl.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  socketUrl.search = "";
  socketUrl.hash = "";

  const statsUrl = new URL("stats", location.href);
  const statsRefreshMs = 1000;

  const status = document.getElementById("status");
  const log = document.getElementById("log");
  const input = document.getElementById("message");
  const sendButton = document.getElementById("send");
  const connectButton = document.getElementById("connect");
  const disconnectButton = document.getElementById("disconnect");
  const statsState = document.getElementById("stats-state");
  let sock = null;

  document.getElementById("url").textContent = socketUrl.href;

  function write(kind, text) {
    const item = document.createElement("li");
    item.className = kind;
    const time = document.createElement("time");
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString();
    const label = document.createElement("span");
    label.className = "kind";
    label.textContent = kind;
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    item.append(time, label, body);
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }

  function setStatus(state) {
    status.textContent = state;
    status.dataset.state = state;
    const open = state === "open";
    sendButton.disabled = !open;
    disconnectButton.disabled = !(open || state === "connecting");
    connectButton.disabled = open || state === "connecting" || state === "closing";
  }

  function describeClose(e) {
    let text = "code " + e.code;
    if (e.reason) {
      text += ", reason \"" + e.reason + "\"";
    }
    if (!e.wasClean) {
      text += ", not clean";
    }
    return text;
  }

  function connect() {
    if (sock && (sock.readyState === WebSocket.OPEN || sock.readyState === WebSocket.CONNECTING)) {
      return;
    }

    setStatus("connecting");
    const ws = new WebSocket(socketUrl);
    sock = ws;

    // Events of a socket that has since been replaced are still logged, but no longer drive the status.
    ws.onopen = function () {
      if (ws === sock) {
        setStatus("open");
      }
      write("open", "connected to " + socketUrl.href);
    };

    ws.onmessage = function (e) {
      write("received", typeof e.data === "string" ? e.data : "(" + e.data.size + " bytes of binary data)");
    };

    ws.onerror = function () {
      write("error", "the connection failed or broke (the browser gives no details to the page; see its console)");
    };

    ws.onclose = function (e) {
      if (ws === sock) {
        setStatus("closed");
      }
      write("close", describeClose(e));
    };
  }

  function send() {
    if (!sock || sock.readyState !== WebSocket.OPEN) {
      write("error", "not connected: press Connect first");
      return;
    }

    const msg = input.value;
    sock.send(msg);
    write("sent", msg);
  }

  function showStats(stats) {
    for (const item of document.querySelectorAll("#stats [data-stat]")) {
      const value = stats[item.dataset.stat];
      item.textContent = typeof value === "number" ? value.toLocaleString() : "–";
    }
  }

  async function refreshStats() {
    try {
      const response = await fetch(statsUrl, { cache: "no-store" });
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      showStats(await response.json());
      statsState.textContent = "Updated " + new Date().toLocaleTimeString() + ".";
    } catch (err) {
      statsState.textContent = "Server counters unavailable (" + err.message + ").";
    } finally {
      setTimeout(refreshStats, statsRefreshMs);
    }
  }

  document.getElementById("form").addEventListener("submit", function (e) {
    e.preventDefault(); // the button and the Enter key both submit the form
    send();
  });

  connectButton.addEventListener("click", connect);

  disconnectButton.addEventListener("click", function () {
    if (sock && (sock.readyState === WebSocket.OPEN || sock.readyState === WebSocket.CONNECTING)) {
      setStatus("closing");
      sock.close(1000, "Bye");
    }
  });

  document.getElementById("clear").addEventListener("click", function () {
    log.replaceChildren();
  });

  connect();
  refreshStats();
})();
