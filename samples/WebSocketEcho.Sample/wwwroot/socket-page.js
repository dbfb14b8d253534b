"use strict";

// What the echo page and the chat page share: one socket to a path of this site (ws: or wss:, same host and port as
// the page), its status and buttons, and a log on the page of every event (open, sent, received, error, close with
// code and reason). Each page calls SocketPage.start with its socket's path and the words of its "open" line.
window.SocketPage = {
  start: function (path, openedText) {
    const socketUrl = new URL(path, location.href);
    socketUrl.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    socketUrl.search = "";
    socketUrl.hash = "";

    const status = document.getElementById("status");
    const log = document.getElementById("log");
    const input = document.getElementById("message");
    const sendButton = document.getElementById("send");
    const connectButton = document.getElementById("connect");
    const disconnectButton = document.getElementById("disconnect");
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
        write("open", openedText + " " + socketUrl.href);
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
  }
};
