// The chat page: sending through the API, live updates of the history, replies rendered as
// Markdown while they stream, the composer and the scrolling.
import { onLiveEvent, reportSessionEnded, sendLive, showToast } from "./live.js";
import { enhanceBody, renderInto } from "./markdown.js";
import { apiRequest, copyWithFeedback, errorText } from "./ui.js";

const chat = document.getElementById("chat");
const chatId = Number(chat.dataset.chatId);
const apiUrl = chat.dataset.api;
const fragmentUrl = chat.dataset.fragment;
const scroller = document.getElementById("scroller");
const history = document.getElementById("history");
const composer = document.getElementById("composer");
const textarea = composer.querySelector("textarea");
const composerError = composer.querySelector("[data-role=composer-error]");
const sendButton = composer.querySelector("[data-role=send]");
const stopButton = composer.querySelector("[data-role=stop]");
const jumpButton = document.getElementById("scroll-latest");
const typing = document.getElementById("typing");
const sendWithCtrl = document.documentElement.dataset.sendShortcut === "ctrl_enter";
const UNFINISHED = ["pending", "streaming"];

// ---- Scrolling: follow the newest text unless the reader scrolled up -------------------
const NEAR_BOTTOM_PX = 80;
let followLatest = true;

function nearBottom() {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;
}

function scrollToLatest(smooth = false) {
  scroller.scrollTo({ top: scroller.scrollHeight, behavior: smooth ? "smooth" : "auto" });
  followLatest = true;
  jumpButton.hidden = true;
}

// Only the reader scrolling up stops the following; text growing below never does.
let lastScrollTop = scroller.scrollTop;
scroller.addEventListener("scroll", () => {
  const wentUp = scroller.scrollTop < lastScrollTop - 1;
  lastScrollTop = scroller.scrollTop;
  followLatest = wentUp ? nearBottom() : followLatest || nearBottom();
  jumpButton.hidden = followLatest || nearBottom();
}, { passive: true });
jumpButton.addEventListener("click", () => scrollToLatest(true));
new ResizeObserver(() => {
  if (followLatest) scrollToLatest();
  else jumpButton.hidden = nearBottom();
}).observe(history);

// ---- Replies being written --------------------------------------------------------------
// Per streaming reply: its text so far (as the server counts it, in code points), the nodes of
// its last render, and whether it needs rendering at the next frame.
const streams = new Map();
let frameAsked = false;

// Offsets count Unicode code points (as the server does), never UTF-16 units or bytes.
function codePoints(text) {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function dropCodePoints(text, count) {
  return count <= 0 ? text : Array.from(text).slice(count).join("");
}

// Re-render streaming Markdown at most once per animation frame, however many deltas came.
function renderSoon(stream) {
  stream.dirty = true;
  if (frameAsked) return;
  frameAsked = true;
  requestAnimationFrame(() => {
    frameAsked = false;
    for (const each of streams.values()) if (each.dirty) renderStream(each);
  });
}

function renderStream(stream) {
  stream.dirty = false;
  const bubble = document.getElementById(`message-${stream.id}`);
  if (!bubble) return;
  bubble.querySelector("[data-role=thinking]")?.remove();
  renderInto(bubble.querySelector(".body"), stream.text, stream.memory);
}

function streamFor(bubble) {
  const id = Number(bubble.dataset.messageId);
  let stream = streams.get(id);
  if (!stream) {
    const source = bubble.querySelector("template[data-role=source]");
    stream = { id, text: source ? source.content.textContent : "", memory: {}, dirty: false };
    streams.set(id, stream);
  }
  return stream;
}

/** The text of a reply as streamed so far (its Markdown source), or null. */
export function streamedText(messageId) {
  return streams.get(Number(messageId))?.text ?? null;
}

// ---- Bubbles: always the server's templates/chats/_message.html ---------------------------
function parseBubble(html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  return template.content.querySelector("article.message");
}

function isUnfinished(bubble) {
  return UNFINISHED.includes(bubble.dataset.status);
}

function prepare(bubble) {
  if (bubble.dataset.role !== "assistant") return bubble;
  const body = bubble.querySelector(".body");
  if (isUnfinished(bubble)) {
    const stream = streamFor(bubble);
    renderInto(body, stream.text, stream.memory);
  } else {
    enhanceBody(body);
  }
  return bubble;
}

function placeBubble(html) {
  const fresh = parseBubble(html);
  if (!fresh) return null;
  const id = Number(fresh.dataset.messageId);
  const existing = document.getElementById(`message-${id}`);
  if (existing && isUnfinished(fresh) && streams.has(id)) {
    // A reply we are already streaming: take the server's text only if it is further along
    // (we were missing a piece of it).
    const stream = streams.get(id);
    const serverOffset = Number(fresh.dataset.offset || 0);
    if (serverOffset > Number(existing.dataset.offset || 0)) {
      stream.text = fresh.querySelector("template[data-role=source]")?.content.textContent ?? stream.text;
      existing.dataset.offset = String(serverOffset);
      renderSoon(stream);
    }
    return existing;
  }
  const stream = streams.get(id);
  if (existing && stream && !isUnfinished(fresh)) {
    // The reply is finished: render the last text now, and keep that very DOM when it is the
    // same as the finished reply's, so nothing moves.
    if (stream.dirty) renderStream(stream);
    streams.delete(id);
    prepare(fresh);
    const streamed = existing.querySelector(".body");
    const finished = fresh.querySelector(".body");
    if (streamed.isEqualNode(finished)) finished.replaceWith(streamed);
    existing.replaceWith(fresh);
    updateComposer();
    return fresh;
  }
  if (!isUnfinished(fresh)) streams.delete(id);
  prepare(fresh);
  history.querySelector("[data-role=empty]")?.remove();
  if (existing) {
    existing.replaceWith(fresh);
  } else {
    const later = [...history.querySelectorAll("[data-message-id]")].find(
      (other) => Number(other.dataset.messageId) > id,
    );
    history.insertBefore(fresh, later || null);
  }
  updateComposer();
  return fresh;
}

async function fetchBubbles(ids) {
  const url = ids ? `${fragmentUrl}?ids=${ids.join(",")}` : fragmentUrl;
  const response = await fetch(url, { headers: { Accept: "text/html" } });
  if (!response.ok) return null;
  const template = document.createElement("template");
  template.innerHTML = await response.text();
  return [...template.content.querySelectorAll("article.message")];
}

async function refreshMessages(ids) {
  for (const bubble of (await fetchBubbles(ids)) || []) placeBubble(bubble.outerHTML);
}

async function reloadHistory() {
  const bubbles = await fetchBubbles(null);
  if (bubbles === null) return;
  streams.clear();
  history.replaceChildren();
  for (const bubble of bubbles) placeBubble(bubble.outerHTML);
  scrollToLatest();
}

// Deltas carry the offset they start at, so a repeat or an overlap with the text the page
// was rendered with is trimmed instead of doubled. A delta with `reset` replaces the text: the
// reply restarted after its writer was interrupted.
function applyDelta(event) {
  const bubble = document.getElementById(`message-${event.message_id}`);
  if (!bubble) {
    refreshMessages([event.message_id]); // its text so far includes this delta
    return;
  }
  if (!isUnfinished(bubble)) return; // already completed
  if (bubble.dataset.status === "pending") bubble.dataset.status = "streaming";
  bubble.classList.replace("status-pending", "status-streaming");
  const stream = streamFor(bubble);
  if (event.reset) {
    const hadText = stream.text !== "";
    stream.text = event.delta;
    bubble.dataset.offset = String(codePoints(event.delta));
    if (hadText && !bubble.querySelector("[data-role=restarted]")) {
      const note = Object.assign(document.createElement("p"), {
        className: "restarted",
        textContent: "This reply restarted after an interruption.",
      });
      note.dataset.role = "restarted";
      bubble.querySelector(".body").after(note);
    }
    renderSoon(stream);
    return;
  }
  const have = Number(bubble.dataset.offset || 0);
  const offset = typeof event.offset === "number" ? event.offset : have;
  if (offset > have) {
    refreshMessages([event.message_id]); // cannot happen with events in seq order; be safe
    return;
  }
  const fresh = dropCodePoints(event.delta, have - offset);
  if (fresh) {
    stream.text += fresh;
    bubble.dataset.offset = String(have + codePoints(fresh));
    renderSoon(stream);
  }
}

// ---- The composer: Send, or Stop while a reply is being written -----------------------------
function writingReply() {
  const replies = history.querySelectorAll(".message.assistant[data-status=pending], .message.assistant[data-status=streaming]");
  return replies.length ? replies[replies.length - 1] : null;
}

function updateComposer() {
  const writing = writingReply();
  stopButton.hidden = !writing;
  sendButton.hidden = Boolean(writing);
}

function showComposerError(text) {
  composer.querySelectorAll("[data-role=server-error]").forEach((element) => element.remove());
  composerError.textContent = text;
  composerError.hidden = !text;
}

let sending = false;
async function send() {
  const content = textarea.value;
  if (!content.trim()) {
    showComposerError("Write a message first.");
    return;
  }
  if (sending || writingReply()) return;
  sending = true;
  sendButton.disabled = true;
  showComposerError("");
  try {
    const result = await apiRequest(apiUrl, { body: { content, client_id: crypto.randomUUID() } });
    if (result.status === 401) reportSessionEnded(result.data.detail);
    if (!result.ok) {
      showComposerError(errorText(result.data));
      return;
    }
    textarea.value = "";
    resizeComposer();
    const missing = [result.data.user_message.id, result.data.reply.id].filter(
      (id) => !document.getElementById(`message-${id}`),
    );
    if (missing.length) await refreshMessages(missing);
    scrollToLatest();
  } catch {
    showComposerError("The message could not be sent. Check your connection and try again.");
  } finally {
    sending = false;
    sendButton.disabled = false;
    updateComposer();
  }
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});

stopButton.addEventListener("click", async () => {
  const reply = writingReply();
  if (!reply) return;
  stopButton.disabled = true;
  const result = await apiRequest(`${apiUrl}${reply.dataset.messageId}/stop/`);
  stopButton.disabled = false;
  if (!result.ok) showToast(errorText(result.data), "error");
});

let lastTypingPing = 0;
textarea.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.isComposing) return;
  const wantsSend = sendWithCtrl ? event.ctrlKey || event.metaKey : !event.shiftKey;
  if (wantsSend) {
    event.preventDefault();
    send();
  }
});

// Browsers without `field-sizing: content` get the same growth from here.
const growsByItself = CSS.supports("field-sizing", "content");
function resizeComposer() {
  if (growsByItself) return;
  textarea.style.height = "auto";
  textarea.style.height = `${Math.min(textarea.scrollHeight, 192)}px`;
}

textarea.addEventListener("input", () => {
  resizeComposer();
  if (!composerError.hidden && textarea.value.trim()) showComposerError("");
  if (Date.now() - lastTypingPing > 3000) {
    lastTypingPing = Date.now();
    sendLive({ type: "typing", chat_id: chatId, on: true });
  }
});

// ---- Actions on a message ------------------------------------------------------------------
async function sourceOf(bubble) {
  const streamed = streamedText(bubble.dataset.messageId);
  if (streamed !== null) return streamed;
  const response = await fetch(`${apiUrl}${bubble.dataset.messageId}/`, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error("The message could not be read.");
  return (await response.json()).content;
}

const messageActions = {
  copy: (bubble, control) => copyWithFeedback(control, sourceOf(bubble)),
  "copy-code": (bubble, control) => {
    const code = control.closest(".code-block").querySelector("code");
    return copyWithFeedback(control, code.textContent);
  },
  regenerate: async (bubble) => {
    const result = await apiRequest(`${apiUrl}${bubble.dataset.messageId}/regenerate/`);
    if (!result.ok) {
      showToast(errorText(result.data), "error");
      return;
    }
    bubble.remove();
    if (!document.getElementById(`message-${result.data.id}`)) await refreshMessages([result.data.id]);
    scrollToLatest();
  },
  feedback: async (bubble, control) => {
    const pressed = control.getAttribute("aria-pressed") === "true";
    const result = await apiRequest(`${apiUrl}${bubble.dataset.messageId}/feedback/`, {
      body: { value: pressed ? null : Number(control.dataset.value) },
    });
    if (!result.ok) {
      showToast(errorText(result.data), "error");
      return;
    }
    for (const other of bubble.querySelectorAll("[data-action=feedback]")) {
      const chosen = other === control && !pressed;
      other.setAttribute("aria-pressed", String(chosen));
      other.classList.toggle("chosen", chosen);
    }
  },
};

/** Lets another module answer a message button: `registerMessageAction("edit", fn)`, where
 * fn(bubble, button) runs when a `[data-action=edit]` button in a message is clicked. */
export function registerMessageAction(name, handler) {
  messageActions[name] = handler;
}

history.addEventListener("click", async (event) => {
  const control = event.target.closest("button[data-action]");
  if (!control || control.disabled) return;
  const handler = messageActions[control.dataset.action];
  if (!handler) return;
  const bubble = control.closest("[data-message-id]");
  try {
    await handler(bubble, control);
  } catch (error) {
    showToast(error.message || "Something went wrong. Try again.", "error");
  }
});

// ---- A chat deleted in another tab or device ------------------------------------------------
function showDeleted() {
  if (document.documentElement.dataset.deletingChat === String(chatId)) return; // we did it
  const notice = document.getElementById("deleted-chat-notice").content.cloneNode(true);
  chat.replaceChildren(notice);
  document.querySelector("[data-testid=chat-title]").textContent = "Chat deleted";
  document.querySelector(".topbar-actions")?.replaceChildren();
  document.title = "Chat deleted · Onyx Sessions";
}

// ---- Live events ---------------------------------------------------------------------------
onLiveEvent((event) => {
  if (event.type === "resync") {
    reloadHistory();
    return;
  }
  if (event.type === "chat.deleted" && event.chat_id === chatId) {
    showDeleted();
    return;
  }
  if (event.type === "chat.updated" && event.chat.id === chatId) {
    const title = event.chat.title || "New chat";
    document.querySelector("[data-testid=chat-title]").textContent = title;
    document.title = `${title} · Onyx Sessions`;
    return;
  }
  if (event.chat_id !== chatId) return;
  switch (event.type) {
    case "message.created":
      if (!document.getElementById(`message-${event.message.id}`)) placeBubble(event.html);
      if (event.message.role === "user") scrollToLatest();
      break;
    case "message.delta":
      applyDelta(event);
      break;
    case "message.completed":
    case "message.failed":
    case "message.updated":
      placeBubble(event.html);
      break;
    case "message.superseded":
      document.getElementById(`message-${event.message.id}`)?.remove();
      streams.delete(event.message.id);
      updateComposer();
      break;
    case "typing":
      if (event.who !== "user") typing.hidden = !event.on;
      break;
    default:
      break;
  }
});

// ---- Start: enhance what the server rendered -----------------------------------------------
for (const bubble of history.querySelectorAll("article.message")) prepare(bubble);
updateComposer();
resizeComposer();
scrollToLatest();
