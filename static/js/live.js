// One WebSocket per tab: live events in, resumed from the last seq after a reconnect,
// and a visible notice when the session behind it has ended.
import { showToast } from "./ui.js";

export { showToast };

const CLOSE_UNAUTHORIZED = 4401;
// "Try again later": the server could not reach its data stores; it comes back by itself.
const CLOSE_TRY_AGAIN_LATER = 1013;
// After asking the server for missed events, how long a gap may stay open before the page
// gives up on it and reloads what it shows instead.
const GAP_PATIENCE_MS = 3000;
// How often the tab asks the server's current seq: the last events of a burst can be lost
// with no later event to reveal the gap, and a reply would then look unfinished forever.
const SEQ_CHECK_MS = 5000;
const listeners = new Set();
const pageSeq = document.querySelector("[data-last-seq]")?.dataset.lastSeq;
// Events are delivered strictly in seq order: one that arrives early waits here until the
// ones before it have come (from the socket, or from the server's log when asked).
let lastSeq = pageSeq === undefined ? null : Number(pageSeq);
const early = new Map();
let replayAsked = false;
let gapTimer = null;
let retryDelay = 1000;
let sessionEnded = false;
let serverUnavailable = false;
let sendToServer = () => {};

function showSessionEnded(reason) {
  sessionEnded = true;
  const banner = document.getElementById("session-banner");
  if (!banner) return;
  banner.querySelector("[data-role=text]").textContent =
    reason || "Your session expired. Sign in again.";
  banner.hidden = false;
}

function deliver(event) {
  if (event.type === "session.revoked") showSessionEnded(event.reason);
  for (const listener of listeners) listener(event);
}

function deliverInOrder() {
  while (early.has(lastSeq + 1)) {
    lastSeq += 1;
    const next = early.get(lastSeq);
    early.delete(lastSeq);
    deliver(next);
  }
  if (early.size === 0) {
    clearTimeout(gapTimer);
    gapTimer = null;
    replayAsked = false;
  }
}

// Something was lost on the way (a full buffer, a dropped frame): ask the server's log for it.
function askForMissed() {
  if (replayAsked) return;
  replayAsked = true;
  sendToServer({ type: "replay", after: lastSeq });
  clearTimeout(gapTimer);
  gapTimer = setTimeout(giveUpOnGap, GAP_PATIENCE_MS);
}

function giveUpOnGap() {
  gapTimer = null;
  replayAsked = false;
  if (early.size === 0) return;
  lastSeq = Math.min(...early.keys()) - 1;
  deliver({ type: "resync", reason: "Some updates were missed." });
  deliverInOrder();
}

function receive(event) {
  if (event.type === "resync" && typeof event.current_seq === "number") {
    // Too much was missed for the log to fill in: start again from the server's seq; the
    // listeners reload what they show.
    lastSeq = Math.max(lastSeq ?? 0, event.current_seq);
    for (const seq of [...early.keys()]) if (seq <= lastSeq) early.delete(seq);
    deliver(event);
    deliverInOrder();
    return;
  }
  if (typeof event.seq !== "number") {
    deliver(event); // typing pings and replies to requests carry no seq
    return;
  }
  if (lastSeq === null) lastSeq = event.seq - 1;
  if (event.seq <= lastSeq) return; // already seen
  early.set(event.seq, event);
  if (event.seq === lastSeq + 1) {
    deliverInOrder();
  } else {
    askForMissed();
  }
  if (early.size > 0) askForMissed();
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
      if (serverUnavailable) showToast("Connected again.", "info");
      serverUnavailable = false;
      return;
    }
    if (event.type === "pong") {
      const behind = lastSeq !== null && event.current_seq > lastSeq;
      if (behind && early.size === 0) askForMissed();
      return;
    }
    if (event.type === "replay.done") {
      replayAsked = false;
      if (early.size > 0) giveUpOnGap();
      return;
    }
    receive(event);
  });
  socket.addEventListener("close", (event) => {
    document.documentElement.dataset.live = "closed";
    replayAsked = false;
    if (event.code === CLOSE_UNAUTHORIZED) {
      showSessionEnded();
      return;
    }
    if (event.code === CLOSE_TRY_AGAIN_LATER) {
      serverUnavailable = true;
      document.documentElement.dataset.live = "unavailable";
      showToast("The server is temporarily unavailable. Reconnecting…", "error");
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

setInterval(() => sendToServer({ type: "ping" }), SEQ_CHECK_MS);

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

// Replies finishing in chats other than the one on screen are announced here.
onLiveEvent((event) => {
  if (event.type !== "notification") return;
  const onScreen = document.getElementById("chat")?.dataset.chatId;
  if (event.chat_id === undefined) {
    // A page that shows the file (its row, or its chip in a chat) already says how it went.
    const shown = event.file_id !== undefined && document.querySelector(`[data-file-id="${event.file_id}"]`);
    if (!shown) showToast(event.text, event.level, "/files/");
  } else if (String(event.chat_id) !== onScreen) {
    showToast(event.text, event.level, `/chats/${event.chat_id}/`);
  }
});

document.documentElement.dataset.live = "connecting";
// Connect once every module of the page has run: a page module still loading (one with large
// imports) would otherwise miss the first events. Module scripts run while readyState is
// already "interactive", before DOMContentLoaded, so that state says nothing; `load` covers a
// page where this module came late.
let connected = false;
function connectOnce() {
  if (connected) return;
  connected = true;
  connect();
}
if (document.readyState === "complete") {
  connectOnce();
} else {
  document.addEventListener("DOMContentLoaded", connectOnce, { once: true });
  window.addEventListener("load", connectOnce, { once: true });
}
