// One WebSocket per tab. Says so, visibly, when the session behind it has ended.
const CLOSE_UNAUTHORIZED = 4401;
const listeners = new Set();
let socket = null;
let retryDelay = 1000;
let sessionEnded = false;

function showSessionEnded(reason) {
  sessionEnded = true;
  const banner = document.getElementById("session-banner");
  if (!banner) return;
  banner.querySelector("[data-role=text]").textContent = reason || "Your session expired. Sign in again.";
  banner.hidden = false;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/`);
  socket.addEventListener("open", () => { retryDelay = 1000; });
  socket.addEventListener("message", (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "session.revoked") showSessionEnded(data.reason);
    for (const listener of listeners) listener(data);
  });
  socket.addEventListener("close", (event) => {
    if (event.code === CLOSE_UNAUTHORIZED) {
      showSessionEnded();
      return;
    }
    if (!sessionEnded) {
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    }
  });
}

export function onLiveEvent(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function reportSessionEnded(reason) {
  showSessionEnded(reason);
}

connect();
document.documentElement.dataset.live = "connecting";
onLiveEvent((data) => { if (data.type === "hello") document.documentElement.dataset.live = "open"; });
