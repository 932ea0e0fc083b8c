// The chat list follows changes made in other tabs and devices.
import { onLiveEvent } from "./live.js";

const list = document.querySelector("[data-testid=chat-list]");

onLiveEvent((event) => {
  if (!list) return;
  if (event.type === "chat.deleted") {
    list.querySelector(`[data-chat-id="${event.chat_id}"]`)?.remove();
  } else if (event.type === "chat.updated" || event.type === "chat.created") {
    const row = list.querySelector(`[data-chat-id="${event.chat.id}"]`);
    if (row) {
      row.querySelector(".chat-link").textContent = event.chat.title || "New chat";
      list.prepend(row);
    } else {
      const item = document.createElement("li");
      item.className = "chat-row";
      item.dataset.chatId = event.chat.id;
      const link = document.createElement("a");
      link.className = "chat-link";
      link.href = `/chats/${event.chat.id}/`;
      link.textContent = event.chat.title || "New chat";
      item.appendChild(link);
      list.querySelector("[data-testid=chat-list-empty]")?.remove();
      list.prepend(item);
    }
  }
});
