"use strict";

// The chat page: one socket to /chat (socket-page.js, shared with the echo page); every message typed here is sent to
// the server, which pushes it to every chat page, this one included. Messages pushed from outside the socket
// (POST /chat/messages) arrive the same way.
(function () {
  SocketPage.start("chat", "joined the chat at");
  document.getElementById("curl").textContent = "curl -d 'hello' " + new URL("chat/messages", location.href).href;
})();
