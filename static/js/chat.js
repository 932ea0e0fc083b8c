// The chat page: sending through the API, live updates of the history (one branch of the
// conversation at a time), replies rendered as Markdown while they stream, editing a message and
// switching between its versions, the composer and the scrolling.
import { onLiveEvent, reportSessionEnded, sendLive, showToast } from "./live.js";
import { enhanceBody, renderInto } from "./markdown.js";
import { apiRequest, copyWithFeedback, errorText } from "./ui.js";

const chat = document.getElementById("chat");
const chatId = Number(chat.dataset.chatId);
const apiUrl = chat.dataset.api;
const chatApiUrl = chat.dataset.chatApi;
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

// Keeps `element` where it is on screen while `change()` rewrites what is around it (another
// version of a message shown above the reader, say).
async function keepInPlace(element, change, find) {
  const before = element?.getBoundingClientRect().top;
  await change();
  const after = find()?.getBoundingClientRect().top;
  if (before === undefined || after === undefined) return;
  scroller.scrollTop += after - before;
  followLatest = nearBottom();
}

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

function shownBubbles() {
  return [...history.querySelectorAll("article.message")];
}

// Messages this page heard of that belong to a branch it does not show: their deltas are not
// fetched for, until a chat.branch shows them.
const offBranch = new Set();

// A message continues the branch shown when its parent is the last message shown (or, in an
// empty chat, when it has none); any other message belongs to another branch.
function continuesBranch(bubble) {
  const shown = shownBubbles();
  const last = shown[shown.length - 1];
  return bubble.dataset.parentId === (last ? last.dataset.messageId : "");
}

// The server's bubble for a message, reconciled with the one on the page, if any: a reply this
// page streams keeps its node and takes the server's text only when it is further along; a
// reply that just finished keeps its streamed DOM when that is the same, so nothing moves.
function adopt(fresh, existing) {
  const id = Number(fresh.dataset.messageId);
  offBranch.delete(id);
  // A finished message never becomes unfinished again: a bubble fetched before the reply
  // finished, whose answer came after message.completed, is older news than the page's.
  if (existing && !isUnfinished(existing) && isUnfinished(fresh)) return existing;
  if (!existing) streams.delete(id);
  const stream = streams.get(id);
  if (existing && stream && isUnfinished(fresh)) {
    const serverOffset = Number(fresh.dataset.offset || 0);
    if (serverOffset > Number(existing.dataset.offset || 0)) {
      stream.text = fresh.querySelector("template[data-role=source]")?.content.textContent ?? stream.text;
      existing.dataset.offset = String(serverOffset);
      renderSoon(stream);
    }
    return existing;
  }
  if (existing && stream) {
    if (stream.dirty) renderStream(stream);
    streams.delete(id);
    prepare(fresh);
    const streamed = existing.querySelector(".body");
    const finished = fresh.querySelector(".body");
    if (streamed.isEqualNode(finished)) finished.replaceWith(streamed);
    return fresh;
  }
  if (!isUnfinished(fresh)) streams.delete(id);
  return prepare(fresh);
}

function placeBubble(html) {
  const fresh = parseBubble(html);
  if (!fresh) return null;
  const existing = document.getElementById(`message-${fresh.dataset.messageId}`);
  let placed = null;
  if (existing) {
    placed = adopt(fresh, existing);
    if (placed !== existing) existing.replaceWith(placed);
  } else if (continuesBranch(fresh)) {
    history.querySelector("[data-role=empty]")?.remove();
    placed = history.appendChild(adopt(fresh, null));
  } else {
    offBranch.add(Number(fresh.dataset.messageId));
  }
  updateComposer();
  return placed;
}

async function fetchBubbles(ids) {
  return (await fetchFragment(`?ids=${ids.join(",")}`))?.bubbles ?? null;
}

async function refreshMessages(ids) {
  for (const bubble of (await fetchBubbles(ids)) || []) placeBubble(bubble.outerHTML);
}

async function fetchFragment(query) {
  const response = await fetch(`${fragmentUrl}${query}`, { headers: { Accept: "text/html" } });
  if (!response.ok) return null;
  const template = document.createElement("template");
  template.innerHTML = await response.text();
  return {
    bubbles: [...template.content.querySelectorAll("article.message")],
    earlier: template.content.querySelector("[data-role=earlier]"),
  };
}

// The branch shown, as the server renders it now (after missed events, say): its newest
// messages, with the link to the earlier ones when it goes on above them.
async function reloadHistory() {
  const fragment = await fetchFragment("");
  if (fragment === null) return;
  streams.clear();
  offBranch.clear();
  const bubbles = fragment.bubbles.map((bubble) => adopt(bubble, null));
  history.replaceChildren(...(fragment.earlier ? [fragment.earlier] : []), ...bubbles);
  updateComposer();
  scrollToLatest();
  watchEarlier();
}

// ---- Earlier messages: the page above the oldest one shown, as the reader scrolls up ---------
// The server's link above the oldest message (templates/chats/_earlier.html) leads to a page
// of its own; here its messages come from the fragment and take the link's place, and the
// reader's messages stay where they are on screen. The page asked for is always the one above
// the oldest message shown, so it follows the branch shown whatever changed since.
const EARLIER_AHEAD_PX = 400;
let earlierWork = null;
let earlierFailed = false;

function earlierLink() {
  return history.querySelector("[data-role=earlier]");
}

const earlierObserver = new IntersectionObserver((entries) => {
  if (!earlierFailed && entries.some((entry) => entry.isIntersecting)) showEarlier();
}, { root: scroller, rootMargin: `${EARLIER_AHEAD_PX}px 0px 0px 0px` });

// Watch the link there is now; observing anew reports at once whether it is in view, so a
// page too short to push it away is followed by the next one.
function watchEarlier() {
  earlierObserver.disconnect();
  const link = earlierLink();
  if (!link) return;
  if (shownBubbles()[0]?.dataset.parentId === "") {
    link.remove(); // the start of the branch is shown (another version of it, say)
    return;
  }
  earlierObserver.observe(link);
}

function showEarlier() {
  earlierWork ??= loadEarlier()
    .then(() => {
      earlierFailed = false;
    })
    .catch(() => {
      earlierFailed = true; // no retrying in a loop: the link still works when clicked
      showToast("The earlier messages could not be loaded. Try again.", "error");
    })
    .finally(() => {
      earlierWork = null;
      if (!earlierFailed) watchEarlier();
    });
  return earlierWork;
}

async function loadEarlier() {
  const oldest = shownBubbles()[0];
  const link = earlierLink();
  if (!oldest || !link) return;
  const fragment = await fetchFragment(`?before=${oldest.dataset.messageId}`);
  if (fragment === null) throw new Error("The earlier messages could not be read.");
  // A change of version rewrites the history by position: never insert in the middle of one.
  while (branchWork) await branchWork;
  if (!oldest.isConnected || shownBubbles()[0] !== oldest || earlierLink() !== link) return;
  const fresh = fragment.bubbles.filter((bubble) => !document.getElementById(bubble.id));
  const top = oldest.getBoundingClientRect().top;
  link.replaceWith(
    ...(fragment.earlier ? [fragment.earlier] : []),
    ...fresh.map((bubble) => adopt(bubble, null)),
  );
  scroller.scrollTop += oldest.getBoundingClientRect().top - top;
  lastScrollTop = scroller.scrollTop;
}

history.addEventListener("click", (event) => {
  if (!event.target.closest("[data-role=earlier] a")) return;
  if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  earlierFailed = false;
  showEarlier();
});

// ---- Branches: which version of each message is shown ----------------------------------------
// `chat.branch`, from any tab: everything after `fork_parent_id` (from the top when it is null)
// becomes the messages of `path`. While the page brings them in, this chat's later events wait,
// so each one lands on the branch it belongs to, in seq order.
let branchWork = null;
const waitingEvents = [];

function handleChatEvent(event) {
  if (branchWork) {
    waitingEvents.push(event);
    return;
  }
  if (event.type !== "chat.branch") {
    applyChatEvent(event);
    return;
  }
  branchWork = showBranch(event)
    .catch(() => reloadHistory())
    .finally(() => {
      branchWork = null;
      event.settled?.();
      while (!branchWork && waitingEvents.length) handleChatEvent(waitingEvents.shift());
    });
}

async function showBranch({ fork_parent_id: forkParent, path }) {
  const shown = shownBubbles();
  const start = forkParent === null
    ? 0
    : shown.findIndex((bubble) => Number(bubble.dataset.messageId) === forkParent) + 1;
  if (start === 0 && forkParent !== null) {
    await reloadHistory(); // the fork is above the messages this page shows
    return;
  }
  const replaced = shown.slice(start);
  const alreadyShown = replaced.length === path.length
    && replaced.every((bubble, n) => Number(bubble.dataset.messageId) === path[n]);
  if (alreadyShown) return; // this tab asked for it, or heard of it first
  const bubbles = path.length ? await fetchBubbles(path) : [];
  if (bubbles === null) throw new Error("The messages of this version could not be read.");
  // A path cut to its newest messages does not reach the fork: take the branch as a whole.
  const forkId = forkParent === null ? "" : String(forkParent);
  if (bubbles.length && bubbles[0].dataset.parentId !== forkId) {
    await reloadHistory();
    return;
  }
  const kept = new Map();
  for (const bubble of shownBubbles().slice(start)) {
    const id = Number(bubble.dataset.messageId);
    kept.set(id, bubble);
    bubble.remove();
    if (!path.includes(id)) {
      streams.delete(id);
      offBranch.add(id);
    }
  }
  history.querySelector("[data-role=empty]")?.remove();
  for (const fresh of bubbles) {
    history.appendChild(adopt(fresh, kept.get(Number(fresh.dataset.messageId)) ?? null));
  }
  updateComposer();
  watchEarlier();
}

// This tab's own change of branch, shown as soon as the API answers; the chat.branch event
// every tab gets for it then finds it shown already. Resolves once it is on the page.
function showBranchNow(branch) {
  return new Promise((resolve) => {
    handleChatEvent({ type: "chat.branch", ...branch, settled: resolve });
  });
}

// Deltas carry the offset they start at, so a repeat or an overlap with the text the page
// was rendered with is trimmed instead of doubled. A delta with `reset` replaces the text: the
// reply restarted after its writer was interrupted.
function applyDelta(event) {
  const bubble = document.getElementById(`message-${event.message_id}`);
  if (!bubble) {
    // Its text so far includes this delta; a reply on a branch not shown is left alone.
    if (!offBranch.has(event.message_id)) refreshMessages([event.message_id]);
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

// The socket brings a sent message and its reply as they are written, mostly before the POST's
// answer; when the answer comes first, the socket gets a moment before they are asked for.
const SOCKET_GRACE_MS = 1500;
function shownSoon(ids) {
  const allShown = () => ids.every((id) => document.getElementById(`message-${id}`));
  if (allShown() || document.documentElement.dataset.live !== "open") {
    return Promise.resolve(allShown());
  }
  return new Promise((resolve) => {
    const observer = new MutationObserver(() => { if (allShown()) done(true); });
    const timer = setTimeout(() => done(false), SOCKET_GRACE_MS);
    function done(shown) {
      observer.disconnect();
      clearTimeout(timer);
      resolve(shown);
    }
    observer.observe(history, { childList: true });
  });
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
    const sent = [result.data.user_message.id, result.data.reply.id];
    if (!(await shownSoon(sent))) {
      await refreshMessages(sent.filter((id) => !document.getElementById(`message-${id}`)));
    }
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

// Enter sends (or Ctrl+Enter, as the account chose), in the composer and in a message's editor.
function wantsSend(event) {
  if (event.key !== "Enter" || event.isComposing) return false;
  return sendWithCtrl ? event.ctrlKey || event.metaKey : !event.shiftKey;
}

textarea.addEventListener("keydown", (event) => {
  if (wantsSend(event)) {
    event.preventDefault();
    send();
  }
});

// Browsers without `field-sizing: content` get the same growth from here.
const growsByItself = CSS.supports("field-sizing", "content");
function fitToText(field, maxPx) {
  if (growsByItself) return;
  field.style.height = "auto";
  field.style.height = `${Math.min(field.scrollHeight, maxPx)}px`;
}

function resizeComposer() {
  fitToText(textarea, 192);
}

let lastTypingPing = 0;
textarea.addEventListener("input", () => {
  resizeComposer();
  if (!composerError.hidden && textarea.value.trim()) showComposerError("");
  if (Date.now() - lastTypingPing > 3000) {
    lastTypingPing = Date.now();
    sendLive({ type: "typing", chat_id: chatId, on: true });
  }
});

// ---- Editing a sent message: a new version of it, sent again -------------------------------
function editorOf(bubble) {
  return bubble.querySelector("details[data-role=edit]");
}

function openEditor(bubble) {
  for (const other of history.querySelectorAll("details[data-role=edit][open]")) {
    if (other !== editorOf(bubble)) closeEditor(other.closest("article.message"));
  }
  const editor = editorOf(bubble);
  const field = editor.querySelector("textarea");
  editor.open = true;
  fitToText(field, 320);
  field.focus();
  field.setSelectionRange(field.value.length, field.value.length);
}

function closeEditor(bubble) {
  const editor = editorOf(bubble);
  if (!editor) return;
  const field = editor.querySelector("textarea");
  field.value = field.defaultValue;
  editor.querySelector("[data-role=edit-error]").hidden = true;
  editor.open = false;
  bubble.querySelector("[data-action=edit]")?.focus({ preventScroll: true });
}

async function sendEdit(bubble) {
  const editor = editorOf(bubble);
  const field = editor.querySelector("textarea");
  const error = editor.querySelector("[data-role=edit-error]");
  const save = editor.querySelector("[data-role=save-edit]");
  const showError = (text) => {
    error.textContent = text;
    error.hidden = !text;
  };
  if (!field.value.trim()) {
    showError("Write a message first.");
    return;
  }
  save.disabled = true;
  showError("");
  try {
    const result = await apiRequest(`${apiUrl}${bubble.dataset.messageId}/edit/`, {
      body: { content: field.value, client_id: crypto.randomUUID() },
    });
    if (result.status === 401) reportSessionEnded(result.data.detail);
    if (!result.ok) {
      showError(errorText(result.data));
      return;
    }
    const { user_message: question, reply } = result.data;
    await showBranchNow({ fork_parent_id: question.parent_id, path: [question.id, reply.id] });
    scrollToLatest();
  } catch {
    showError("The edit could not be sent. Check your connection and try again.");
  } finally {
    save.disabled = false;
  }
}

history.addEventListener("submit", (event) => {
  const bubble = event.target.closest("article.message");
  if (!bubble || !event.target.closest("details[data-role=edit]")) return;
  event.preventDefault();
  sendEdit(bubble);
});

history.addEventListener("keydown", (event) => {
  const field = event.target.closest("details[data-role=edit] textarea");
  if (!field) return;
  const bubble = field.closest("article.message");
  if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    closeEditor(bubble);
  } else if (wantsSend(event)) {
    event.preventDefault();
    sendEdit(bubble);
  }
});

history.addEventListener("input", (event) => {
  const field = event.target.closest("details[data-role=edit] textarea");
  if (field) fitToText(field, 320);
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
  edit: (bubble) => openEditor(bubble),
  "cancel-edit": (bubble) => closeEditor(bubble),
  regenerate: async (bubble, control) => {
    control.disabled = true;
    const result = await apiRequest(`${apiUrl}${bubble.dataset.messageId}/regenerate/`);
    control.disabled = false;
    if (!result.ok) {
      showToast(errorText(result.data), "error");
      return;
    }
    // The earlier reply stays, as version 1 of this answer: the switcher leads back to it.
    await showBranchNow({ fork_parent_id: result.data.parent_id, path: [result.data.id] });
    scrollToLatest();
  },
  branch: async (bubble, control) => {
    const direction = control.getAttribute("aria-label");
    const result = await apiRequest(`${chatApiUrl}branch/`, {
      body: { message_id: Number(control.dataset.branchTo) },
    });
    if (!result.ok) {
      showToast(errorText(result.data), "error");
      return;
    }
    // The arrows stay under the pointer (and keep the focus) while the versions change.
    const arrows = () => document.getElementById(`message-${result.data.fork_id}`)?.querySelector("[data-role=versions]");
    await keepInPlace(bubble.querySelector("[data-role=versions]"), () => showBranchNow(result.data), arrows);
    const again = arrows()?.querySelector(`button[aria-label="${direction}"]:not(:disabled)`)
      || arrows()?.querySelector("button:not(:disabled)");
    again?.focus({ preventScroll: true });
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

/** Lets another module answer a message button: `registerMessageAction("name", fn)`, where
 * fn(bubble, button) runs when a `[data-action=name]` button in a message is clicked. */
export function registerMessageAction(name, handler) {
  messageActions[name] = handler;
}

history.addEventListener("click", async (event) => {
  const control = event.target.closest("button[data-action]");
  if (!control || control.disabled) return;
  const handler = messageActions[control.dataset.action];
  if (!handler) return;
  event.preventDefault(); // some are form buttons, for pages without JavaScript
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
function applyChatEvent(event) {
  switch (event.type) {
    case "message.created":
      if (!document.getElementById(`message-${event.message.id}`)) {
        const placed = placeBubble(event.html);
        if (placed && event.message.role === "user") scrollToLatest();
      }
      break;
    case "message.delta":
      applyDelta(event);
      break;
    case "message.completed":
    case "message.failed":
    case "message.updated":
      placeBubble(event.html);
      break;
    case "typing":
      if (event.who !== "user") typing.hidden = !event.on;
      break;
    default:
      break;
  }
}

onLiveEvent((event) => {
  if (event.type === "resync") {
    for (const waiting of waitingEvents.splice(0)) waiting.settled?.();
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
  if (event.chat_id === chatId) handleChatEvent(event);
});

// ---- Start: enhance what the server rendered -----------------------------------------------
for (const bubble of shownBubbles()) prepare(bubble);
updateComposer();
resizeComposer();
scrollToLatest();
watchEarlier();
