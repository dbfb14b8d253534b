"use strict";

// The chapter's page, made friendly: the socket to /echo and the log of its events come from socket-page.js (shared
// with the chat page); this page adds the server's counters from /stats, refreshed every second.
(function () {
  SocketPage.start("echo", "connected to");

  const statsUrl = new URL("stats", location.href);
  const statsRefreshMs = 1000;
  const statsState = document.getElementById("stats-state");

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

  refreshStats();
})();
