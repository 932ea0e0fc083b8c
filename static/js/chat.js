// The chat page: sending through the API, and live updates of the history.
import { onLiveEvent, reportSessionEnded, sendLive, showToast } from "./live.js";

const chat = document.getElementById("chat");
const chatId = Number(chat.dataset.chatId);
const apiUrl = chat.dataset.api;
const history = document.getElementById("history");
const composer = document.getElementById("composer");
const textarea = composer.querySelector("textarea");
const composerError = composer.querySelector("[data-role=composer-error]");
const typing = document.getElementById("typing");
const csrfToken = composer.querySelector("[name=csrfmiddlewaretoken]").value;
const sendWithCtrl = document.documentElement.dataset.sendShortcut === "ctrl_enter";

async function api(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, Accept: "application/json" },
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 || response.status === 403) {
    reportSessionEnded(data.detail);
  }
  return { ok: response.ok, status: response.status, data };
}

function errorText(data) {
  if (data.errors) return Object.values(data.errors).flat().join(" ");
  return data.detail || "Something went wrong. Try again.";
}

function button(action, label, extra = {}) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "small";
  element.dataset.action = action;
  element.textContent = label;
  Object.assign(element.dataset, extra.data || {});
  if (extra.aria) element.setAttribute("aria-label", extra.aria);
  return element;
}

function hiddenInput(name, value) {
  return Object.assign(document.createElement("input"), { type: "hidden", name, value: String(value) });
}

// The "‹ 2/3 ›" switcher: plain forms, as the server renders them.
function buildVersions(message) {
  if (!message.sibling_count || message.sibling_count < 2) return null;
  const nav = document.createElement("nav");
  nav.className = "versions";
  nav.dataset.role = "versions";
  nav.setAttribute("aria-label", "Versions of this message");
  const target = (offset) => message.sibling_ids[message.sibling_index + offset];
  const form = (id, label, symbol) => {
    const element = Object.assign(document.createElement("form"), {
      method: "post", action: `/chats/${chatId}/branch/`, className: "inline",
    });
    const submit = Object.assign(document.createElement("button"), {
      type: "submit", className: "small", textContent: symbol, disabled: id === undefined,
    });
    submit.setAttribute("aria-label", label);
    submit.dataset.branchTo = id ?? "";
    element.append(hiddenInput("csrfmiddlewaretoken", csrfToken), hiddenInput("message_id", id ?? ""), submit);
    return element;
  };
  const position = Object.assign(document.createElement("span"), {
    textContent: `${message.sibling_index + 1}/${message.sibling_count}`,
  });
  position.dataset.role = "version-position";
  nav.append(form(target(-1), "Previous version", "‹"), position, form(target(1), "Next version", "›"));
  return nav;
}

function buildEditForm(message) {
  const details = Object.assign(document.createElement("details"), { className: "edit-message" });
  details.dataset.role = "edit";
  const form = Object.assign(document.createElement("form"), {
    method: "post", action: `/chats/${chatId}/messages/${message.id}/edit/`,
  });
  const text = Object.assign(document.createElement("textarea"), {
    name: "content", rows: 3, maxLength: 32000, value: message.content,
  });
  text.setAttribute("aria-label", "Edited message");
  const submit = Object.assign(document.createElement("button"), {
    type: "submit", textContent: "Send edited message",
  });
  form.append(hiddenInput("csrfmiddlewaretoken", csrfToken), text, submit);
  details.append(Object.assign(document.createElement("summary"), { textContent: "Edit" }), form);
  return details;
}

// Mirrors templates/chats/_message.html.
function buildBubble(message) {
  const finished = ["done", "stopped", "failed"].includes(message.status);
  const bubble = document.createElement("article");
  bubble.className = `bubble ${message.role} status-${message.status}`;
  bubble.id = `message-${message.id}`;
  bubble.dataset.messageId = message.id;
  bubble.dataset.role = message.role;
  bubble.dataset.status = message.status;
  bubble.dataset.parentId = message.parent_id ?? "";
  bubble.dataset.siblingIndex = message.sibling_index ?? 0;
  bubble.dataset.siblingCount = message.sibling_count ?? 1;
  const body = document.createElement("div");
  body.className = "body";
  if (message.role === "assistant" && !finished) {
    const text = document.createElement("div");
    text.className = "streaming-text";
    text.textContent = message.content || "";
    body.appendChild(text);
    bubble.dataset.offset = String(codePoints(message.content || ""));
  } else {
    body.innerHTML = message.html; // rendered and sanitised on the server
  }
  bubble.appendChild(body);
  if (message.citations && message.citations.length) {
    const list = document.createElement("ol");
    list.className = "citations";
    list.dataset.role = "citations";
    for (const cite of message.citations) {
      const item = document.createElement("li");
      item.value = cite.n;
      // A deleted file's citation has no url: it says so instead of leading to a 404.
      const link = Object.assign(document.createElement(cite.url ? "a" : "span"), {
        textContent: cite.url ? cite.file_name : `${cite.file_name} (deleted)`, title: cite.passage,
      });
      if (cite.url) link.href = cite.url;
      else item.dataset.deleted = "true";
      item.appendChild(link);
      list.appendChild(item);
    }
    bubble.appendChild(list);
  }
  if (message.status === "failed") {
    const error = document.createElement("p");
    error.className = "error-text";
    error.setAttribute("role", "alert");
    error.textContent = message.error || "The reply failed.";
    bubble.appendChild(error);
  }
  if (message.status === "stopped") {
    const note = document.createElement("p");
    note.className = "muted small";
    note.textContent = "Stopped.";
    bubble.appendChild(note);
  }
  const versions = buildVersions(message);
  if (versions) bubble.appendChild(versions);
  if (message.role === "user") bubble.appendChild(buildEditForm(message));
  if (message.role === "assistant") {
    const tools = document.createElement("div");
    tools.className = "tools";
    const stop = button("stop", "Stop");
    stop.hidden = finished;
    const rest = [
      button("copy", "Copy"),
      button("regenerate", "Regenerate"),
      button("feedback", "Good", { data: { value: "1" }, aria: "Good reply" }),
      button("feedback", "Bad", { data: { value: "-1" }, aria: "Bad reply" }),
    ];
    for (const element of rest) {
      element.hidden = !finished;
      if (element.dataset.value && Number(element.dataset.value) === message.feedback) {
        element.classList.add("chosen");
      }
      element.setAttribute("aria-pressed", element.classList.contains("chosen") ? "true" : "false");
    }
    tools.append(stop, ...rest);
    if (message.model_name) {
      const model = document.createElement("span");
      model.className = "muted small model";
      model.textContent = message.model_name;
      tools.appendChild(model);
    }
    bubble.appendChild(tools);
  }
  return bubble;
}

function placeBubble(message) {
  history.querySelector("[data-role=empty]")?.remove();
  const existing = document.getElementById(`message-${message.id}`);
  const bubble = buildBubble(message);
  if (existing) {
    existing.replaceWith(bubble);
  } else {
    const later = [...history.querySelectorAll("[data-message-id]")].find(
      (other) => Number(other.dataset.messageId) > message.id,
    );
    history.insertBefore(bubble, later || null);
  }
  return bubble;
}

function scrollToEnd() {
  window.scrollTo({ top: document.body.scrollHeight });
}

// Offsets count Unicode code points (as the server does), never UTF-16 units or bytes.
function codePoints(text) {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function dropCodePoints(text, count) {
  return count <= 0 ? text : Array.from(text).slice(count).join("");
}

// Deltas carry the offset they start at, so a repeat or an overlap with the text the page
// was rendered with is trimmed instead of doubled. A delta with `reset` replaces the text: the
// reply restarted after its writer was interrupted.
function applyDelta(event) {
  let bubble = document.getElementById(`message-${event.message_id}`);
  if (!bubble) {
    bubble = placeBubble({ id: event.message_id, role: "assistant", status: "streaming", content: "" });
  }
  const text = bubble.querySelector(".streaming-text");
  if (!text) return; // already completed
  if (event.reset) {
    const hadText = text.textContent !== "";
    text.textContent = event.delta;
    bubble.dataset.offset = String(codePoints(event.delta));
    if (hadText && !bubble.querySelector("[data-role=restarted]")) {
      const note = Object.assign(document.createElement("p"), {
        className: "muted small",
        textContent: "This reply restarted after an interruption.",
      });
      note.dataset.role = "restarted";
      text.after(note);
    }
    scrollToEnd();
    return;
  }
  const have = Number(bubble.dataset.offset || 0);
  const offset = typeof event.offset === "number" ? event.offset : have;
  if (offset > have) {
    refreshMessage(event.message_id); // cannot happen with events in seq order; be safe
    return;
  }
  const fresh = dropCodePoints(event.delta, have - offset);
  if (fresh) {
    text.textContent += fresh;
    bubble.dataset.offset = String(have + codePoints(fresh));
    scrollToEnd();
  }
}

async function refreshMessage(messageId) {
  const response = await fetch(`${apiUrl}${messageId}/`, { headers: { Accept: "application/json" } });
  if (response.ok) placeBubble(await response.json());
}

async function reloadHistory() {
  const response = await fetch(`${apiUrl}?page_size=200`, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const page = await response.json();
  history.replaceChildren();
  for (const message of page.results.reverse()) placeBubble(message);
}

// Another branch is shown (an edit, a regeneration or a switch, in any tab): take the history
// as the server renders it, version switchers and edit forms included. A page rendered before
// the newest chat.branch (its data-last-seq is older) is stale: ask again.
let branchSeq = 0;
let branchFetching = false;
async function showBranchFromServer(seq) {
  branchSeq = Math.max(branchSeq, seq || 0);
  if (branchFetching) return;
  branchFetching = true;
  try {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await fetch(window.location.pathname, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("history");
      const renderedAt = Number(page.getElementById("chat")?.dataset.lastSeq || 0);
      if (!fresh) return;
      if (renderedAt < branchSeq) continue;
      history.replaceChildren(...fresh.childNodes);
      // A reply may have moved on while the page was on its way: take its state now.
      for (const bubble of history.querySelectorAll("[data-status=pending], [data-status=streaming]")) {
        refreshMessage(bubble.dataset.messageId);
      }
      return;
    }
  } finally {
    branchFetching = false;
  }
}

onLiveEvent((event) => {
  if (event.type === "resync") {
    reloadHistory();
    return;
  }
  if (event.type === "chat.deleted" && event.chat_id === chatId) {
    composer.querySelectorAll("textarea, button").forEach((element) => { element.disabled = true; });
    showToast("This chat was deleted in another tab.", "error", "/chats/");
    return;
  }
  if (event.type === "chat.updated" && event.chat.id === chatId) {
    document.querySelector("[data-testid=chat-title]").textContent = event.chat.title || "New chat";
    return;
  }
  if (event.chat_id !== chatId) return;
  switch (event.type) {
    case "message.created": {
      // A message that follows the last one shown continues the branch; any other starts
      // another branch, which chat.branch brings in.
      const shown = [...history.querySelectorAll("[data-message-id]")].pop();
      const follows = shown ? Number(shown.dataset.messageId) : null;
      if ((event.message.parent_id ?? null) !== follows) break;
      if (!document.getElementById(`message-${event.message.id}`)) placeBubble(event.message);
      scrollToEnd();
      break;
    }
    case "message.delta":
      applyDelta(event);
      break;
    case "message.completed":
    case "message.failed":
    case "message.updated":
      placeBubble(event.message);
      break;
    case "chat.branch":
      showBranchFromServer(event.seq);
      break;
    case "typing":
      if (event.who !== "user") typing.hidden = !event.on;
      break;
    default:
      break;
  }
});

async function send() {
  const content = textarea.value;
  if (!content.trim()) {
    composerError.textContent = "Write a message first.";
    composerError.hidden = false;
    return;
  }
  composerError.hidden = true;
  const clientId = crypto.randomUUID();
  const result = await api(apiUrl, { content, client_id: clientId });
  if (!result.ok) {
    composerError.textContent = errorText(result.data);
    composerError.hidden = false;
    return;
  }
  textarea.value = "";
  placeBubble(result.data.user_message);
  if (!document.getElementById(`message-${result.data.reply.id}`)) placeBubble(result.data.reply);
  scrollToEnd();
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  send();
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
textarea.addEventListener("input", () => {
  if (Date.now() - lastTypingPing > 3000) {
    lastTypingPing = Date.now();
    sendLive({ type: "typing", chat_id: chatId, on: true });
  }
});

history.addEventListener("click", async (event) => {
  const control = event.target.closest("button[data-action]");
  if (!control) return;
  const bubble = control.closest("[data-message-id]");
  const messageId = bubble.dataset.messageId;
  const action = control.dataset.action;
  if (action === "copy") {
    await navigator.clipboard.writeText(bubble.querySelector(".body").innerText);
    showToast("Copied.");
    return;
  }
  let body;
  if (action === "feedback") {
    const value = Number(control.dataset.value);
    body = { value: control.classList.contains("chosen") ? null : value };
  }
  const result = await api(`${apiUrl}${messageId}/${action}/`, body);
  if (!result.ok) {
    showToast(errorText(result.data), "error");
    return;
  }
  if (action === "regenerate") {
    bubble.remove();
    placeBubble(result.data);
  } else if (action === "feedback") {
    placeBubble(result.data);
  }
});

scrollToEnd();
