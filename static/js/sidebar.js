// The chat list in the sidebar (and on the chats page): live updates from every tab, a quick
// filter by title, and rename, pin, archive and delete without leaving the page.
import { onLiveEvent, reportSessionEnded } from "./live.js";
import { groupedByAnotherZone } from "./local_time.js";
import { apiRequest, closeMenus, confirmDialog, errorText, showToast } from "./ui.js";

const groups = document.getElementById("chat-groups");
const filterInput = document.querySelector("[data-role=sidebar-search]");
const renameDialog = document.getElementById("rename-dialog");

function currentChatId() {
  return Number(document.getElementById("chat")?.dataset.chatId) || null;
}

function folded(text) {
  return text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();
}

function applyFilter() {
  if (!groups || !filterInput) return;
  const wanted = folded(filterInput.value.trim());
  for (const item of groups.querySelectorAll(".chat-item")) {
    const title = folded(item.querySelector(".chat-name").textContent);
    item.dataset.filtered = !wanted || title.includes(wanted) ? "in" : "out";
  }
  for (const group of groups.querySelectorAll(".chat-group")) {
    group.hidden = !group.querySelector(".chat-item:not([data-filtered=out])");
  }
}

filterInput?.addEventListener("input", applyFilter);

function markActive(container) {
  const active = currentChatId();
  for (const item of container.querySelectorAll(".chat-item")) {
    const isActive = Number(item.dataset.chatId) === active;
    item.classList.toggle("active", isActive);
    const link = item.querySelector(".chat-link");
    if (isActive) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
}

// The list is the server's own partial (templates/chats/_chat_groups.html), fetched again
// when a chat changes, so its grouping by date and its menus are never rebuilt here.
let refreshTimer = null;
// How many chats the lists hold, as many as the server listed (its first page, `?shown=`, or as
// many pages as reach the chat this page shows), until "Show more" asks for more (a click, or its
// link scrolling into view); every refresh asks for as many.
let wantedChats = Number(groups?.querySelector("[data-listed]")?.dataset.listed) || null;
// Only the newest fetch is shown: a refresh and a "Show more" can cross on the way.
let newestFetch = 0;
function menuOpenIn(container) {
  return Boolean(container?.querySelector("details.menu[open]"));
}

async function refreshLists() {
  if (!groups) return;
  const mainList = document.querySelector(".main-list:not(.always)");
  const postpone = () => { refreshTimer = setTimeout(refreshLists, 400); };
  if (menuOpenIn(groups) || menuOpenIn(mainList)) {
    postpone(); // never pull a list from under an open menu
    return;
  }
  const thisFetch = ++newestFetch;
  const source = wantedChats ? `${groups.dataset.src}?shown=${wantedChats}` : groups.dataset.src;
  const response = await fetch(source, { headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const html = await response.text();
  if (thisFetch !== newestFetch) return; // a newer one is on its way
  if (menuOpenIn(groups) || menuOpenIn(mainList)) {
    postpone(); // one was opened while we fetched
    return;
  }
  const scroll = groups.scrollTop;
  groups.innerHTML = html;
  groups.scrollTop = scroll;
  markActive(groups);
  applyFilter();
  if (mainList) mainList.innerHTML = html;
  watchForMore();
}

let loadingMore = false;
async function showMoreChats(link) {
  if (loadingMore) return;
  loadingMore = true;
  const list = link.closest(".chat-groups");
  const hadFocus = document.activeElement === link;
  const listedBefore = list.querySelectorAll(".chat-link").length;
  wantedChats = Number(link.dataset.shown);
  list.setAttribute("aria-busy", "true");
  try {
    await refreshLists();
  } finally {
    loadingMore = false;
    list.removeAttribute("aria-busy");
  }
  // The link is gone with the list it ended; a keyboard user goes on from the first new chat.
  if (hadFocus) list.querySelectorAll(".chat-link")[listedBefore]?.focus();
}

// The lists this script keeps (not the archived chats' list, whose link leads to its next page).
const KEPT_LISTS_MORE = ".chat-groups:not(.always) [data-role=more-chats]";

// Scrolling to the end of a list (the sidebar, or the chats page's own list on a phone) shows
// more, as its link would. A link in a closed drawer or a hidden list is never in view. Not while
// the titles are filtered: the link stays in view then, and would load every chat in turn.
const endOfList = groups && "IntersectionObserver" in window
  ? new IntersectionObserver((entries) => {
    const seen = entries.find((entry) => entry.isIntersecting);
    if (seen && !filterInput?.value.trim()) showMoreChats(seen.target);
  })
  : null;

function watchForMore() {
  endOfList?.disconnect();
  for (const link of document.querySelectorAll(KEPT_LISTS_MORE)) {
    endOfList?.observe(link);
  }
}

watchForMore();

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest(KEPT_LISTS_MORE) : null;
  if (!link) return;
  event.preventDefault();
  showMoreChats(link);
});

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshLists, 120);
}

function syncChatMenus(chat) {
  for (const menu of document.querySelectorAll(`.chat-actions[data-chat-id="${chat.id}"]`)) {
    menu.dataset.title = chat.title;
    menu.dataset.pinned = String(chat.pinned);
    menu.dataset.archived = String(chat.archived);
    const pin = menu.querySelector("[data-action=pin-chat]");
    pin.querySelector("[name=on]").value = String(!chat.pinned);
    pin.querySelector("button span").textContent = chat.pinned ? "Unpin" : "Pin";
    const archive = menu.querySelector("[data-action=archive-chat]");
    archive.querySelector("[name=on]").value = String(!chat.archived);
    archive.querySelector("button span").textContent = chat.archived ? "Restore" : "Archive";
  }
}

onLiveEvent((event) => {
  if (event.type === "chat.created" || event.type === "chat.deleted" || event.type === "resync") {
    scheduleRefresh();
  } else if (event.type === "chat.updated") {
    syncChatMenus(event.chat);
    scheduleRefresh();
  }
});

function chatOf(element) {
  const holder = element.closest("[data-chat-id]");
  return {
    id: Number(holder.dataset.chatId),
    title: holder.dataset.title || "",
    shownTitle: holder.querySelector(".chat-name")?.textContent || holder.dataset.title || "New chat",
  };
}

async function changeChat(id, body) {
  const result = await apiRequest(`/api/chats/${id}/`, { method: body === null ? "DELETE" : "PATCH", body: body ?? undefined });
  if (result.status === 401) reportSessionEnded(result.data.detail);
  if (!result.ok) showToast(errorText(result.data), "error");
  return result.ok;
}

function askTitle(current) {
  if (!renameDialog) return Promise.resolve(null);
  const input = renameDialog.querySelector("input");
  input.value = current;
  renameDialog.returnValue = "";
  renameDialog.showModal();
  input.select();
  return new Promise((resolve) => {
    renameDialog.addEventListener("close", () => {
      resolve(renameDialog.returnValue === "save" ? input.value : null);
    }, { once: true });
  });
}
renameDialog?.querySelector("[data-role=cancel]").addEventListener("click", () => renameDialog.close("cancel"));

document.addEventListener("click", async (event) => {
  const rename = event.target.closest("a[data-action=rename-chat]");
  const remove = event.target.closest("a[data-action=delete-chat]");
  if (!rename && !remove) return;
  event.preventDefault(); // without JavaScript these are links to the rename and delete pages
  closeMenus();
  const chat = chatOf(rename || remove);
  if (rename) {
    const title = await askTitle(chat.title);
    if (title !== null && title.trim() !== chat.title) await changeChat(chat.id, { title: title.trim() });
    return;
  }
  const confirmed = await confirmDialog({
    title: "Delete this chat?",
    text: `“${chat.shownTitle}” and all its messages are deleted for good.`,
  });
  if (!confirmed) return;
  const here = chat.id === currentChatId();
  if (here) document.documentElement.dataset.deletingChat = String(chat.id);
  if (await changeChat(chat.id, null)) {
    if (here) window.location.assign("/chats/");
    else showToast("Chat deleted.", "success");
  } else {
    delete document.documentElement.dataset.deletingChat;
  }
});

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-action=pin-chat], form[data-action=archive-chat]");
  if (!form) return;
  event.preventDefault(); // without JavaScript the page view does the same
  closeMenus();
  const chat = chatOf(form);
  const on = form.querySelector("[name=on]").value === "true";
  const field = form.dataset.action === "pin-chat" ? "pinned" : "archived";
  if (await changeChat(chat.id, { [field]: on }) && field === "archived") {
    showToast(on ? "Chat archived. Find it under Archived chats." : "Chat restored.", "success");
    form.closest(".main-list.always .chat-item")?.remove();
  }
});

if (groups) {
  markActive(groups);
  groups.querySelector(".chat-item.active")?.scrollIntoView({ block: "nearest" });
}
// Grouped by another zone's days than the reader's: group again now the server knows.
if (groupedByAnotherZone) refreshLists();
