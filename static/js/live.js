// One WebSocket per tab: live events in, resumed from the last seq after a reconnect,
// and a visible notice when the session behind it has ended.
const CLOSE_UNAUTHORIZED = 4401;
const SEEN_LIMIT = 5000;
const listeners = new Set();
const seen = new Set();
const pageSeq = document.querySelector("[data-last-seq]")?.dataset.lastSeq;
let lastSeq = pageSeq === undefined ? null : Number(pageSeq);
let retryDelay = 1000;
let sessionEnded = false;

function showSessionEnded(reason) {
  sessionEnded = true;
  const banner = document.getElementById("session-banner");
  if (!banner) return;
  banner.querySelector("[data-role=text]").textContent =
    reason || "Your session expired. Sign in again.";
  banner.hidden = false;
}

function isRepeat(event) {
  if (typeof event.seq !== "number") return false;
  if (seen.has(event.seq)) return true;
  seen.add(event.seq);
  if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value);
  lastSeq = lastSeq === null ? event.seq : Math.max(lastSeq, event.seq);
  return false;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const resume = lastSeq === null ? "" : `?last_seq=${lastSeq}`;
  const socket = new WebSocket(`${scheme}://${location.host}/ws/${resume}`);
  socket.addEventListener("open", () => { retryDelay = 1000; });
  socket.addEventListener("message", (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "hello") {
      if (lastSeq === null) lastSeq = event.seq;
      document.documentElement.dataset.live = "open";
    }
    if (isRepeat(event)) return;
    if (event.type === "session.revoked") showSessionEnded(event.reason);
    for (const listener of listeners) listener(event);
  });
  socket.addEventListener("close", (event) => {
    document.documentElement.dataset.live = "closed";
    if (event.code === CLOSE_UNAUTHORIZED) {
      showSessionEnded();
      return;
    }
    if (!sessionEnded) {
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    }
  });
  sendToServer = (payload) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
  };
}

let sendToServer = () => {};

export function onLiveEvent(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function sendLive(payload) {
  sendToServer(payload);
}

export function reportSessionEnded(reason) {
  showSessionEnded(reason);
}

export function showToast(text, level = "info", href = null) {
  const box = document.getElementById("toasts") || document.body.appendChild(
    Object.assign(document.createElement("div"), { id: "toasts", className: "toasts" }),
  );
  const toast = document.createElement(href ? "a" : "div");
  toast.className = `toast ${level}`;
  toast.textContent = text;
  if (href) toast.href = href;
  box.appendChild(toast);
  setTimeout(() => toast.remove(), 6000);
}

// Replies finishing in chats other than the one on screen are announced here.
onLiveEvent((event) => {
  if (event.type !== "notification") return;
  const onScreen = document.getElementById("chat")?.dataset.chatId;
  if (String(event.chat_id) !== onScreen) {
    showToast(event.text, event.level, `/chats/${event.chat_id}/`);
  }
});

document.documentElement.dataset.live = "connecting";
connect();
