"use strict";

// The chapter's page, made friendly: the socket URL follows the page (ws: or wss:, same host and port),
// every event (open, sent, received, error, close with code and reason) is written to the page itself.
(function () {
  const socketUrl = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/echo";

  const status = document.getElementById("status");
  const log = document.getElementById("log");
  const input = document.getElementById("message");
  const sendButton = document.getElementById("send");
  const connectButton = document.getElementById("connect");
  const disconnectButton = document.getElementById("disconnect");
  let sock = null;

  document.getElementById("url").textContent = socketUrl;

  function write(kind, text) {
    const item = document.createElement("li");
    item.className = kind;
    const time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString();
    const label = document.createElement("span");
    label.className = "kind";
    label.textContent = kind;
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    item.append(time, label, body);
    log.append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function setStatus(state) {
    status.textContent = state;
    status.dataset.state = state;
    const open = state === "open";
    sendButton.disabled = !open;
    disconnectButton.disabled = !(open || state === "connecting");
    connectButton.disabled = open || state === "connecting" || state === "closing";
  }

  function connect() {
    if (sock && (sock.readyState === WebSocket.OPEN || sock.readyState === WebSocket.CONNECTING)) {
      return;
    }

    setStatus("connecting");
    sock = new WebSocket(socketUrl);

    sock.onopen = function () {
      setStatus("open");
      write("open", "connected to " + socketUrl);
    };

    sock.onmessage = function (e) {
      write("received", typeof e.data === "string" ? e.data : "(" + e.data.size + " bytes of binary data)");
    };

    sock.onerror = function () {
      write("error", "the connection failed or broke (details are in the browser console)");
    };

    sock.onclose = function (e) {
      setStatus("closed");
      write("close", "code " + e.code + (e.reason ? ", reason \"" + e.reason + "\"" : "") + (e.wasClean ? "" : ", not clean"));
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
    if (sock) {
      setStatus("closing");
      sock.close(1000, "Bye");
    }
  });

  document.getElementById("clear").addEventListener("click", function () {
    log.replaceChildren();
  });

  connect();
})();
