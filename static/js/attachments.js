// Files in the chat: the paperclip and dropping files on the chat upload them and attach them
// to it, with progress and refusals shown as chips above the composer; the chips of the files
// the chat answers from follow every tab (chat.updated, file.updated), and removing one detaches
// the file from the chat.
import { onLiveEvent } from "./live.js";
import { apiRequest, closeMenus, errorText, iconFromPage, showToast } from "./ui.js";
import { INTERRUPTED, acceptDrops, refusalText, uploadFile } from "./uploads.js";

const chat = document.getElementById("chat");
const chatId = Number(chat.dataset.chatId);
const chatApiUrl = chat.dataset.chatApi;
const attachForm = document.getElementById("attach-form");
const input = document.getElementById("attach-input");
const chips = document.getElementById("composer-chips");
const uploads = document.getElementById("upload-chips");
const overlay = document.getElementById("drop-overlay");

// ---- The chips of attached files: the server's templates/chats/_attachments.html -----------
function attachedIds() {
  return [...chips.querySelectorAll(".file-chip")].map((chip) => Number(chip.dataset.fileId));
}

// One refresh at a time; news of a file that came while one was on its way (so the answer may
// predate it) asks for one more.
let refreshTimer = null;
let refreshing = null;
let refreshAgain = false;

function refreshChips() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = fetchChips().finally(() => {
    refreshing = null;
    if (refreshAgain) {
      refreshAgain = false;
      refreshChips();
    }
  });
  return refreshing;
}

async function fetchChips() {
  clearTimeout(refreshTimer);
  if (chips.querySelector("details.menu[open]")) {
    refreshTimer = setTimeout(refreshChips, 400); // never pull the chooser from under the reader
    return;
  }
  const response = await fetch(chips.dataset.src, { headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const html = await response.text();
  if (chips.querySelector("details.menu[open]")) {
    refreshTimer = setTimeout(refreshChips, 400);
    return;
  }
  chips.innerHTML = html;
}

async function attachOnly(fileIds) {
  const result = await apiRequest(chatApiUrl, { method: "PATCH", body: { file_ids: fileIds } });
  if (!result.ok) {
    showToast(errorText(result.data), "error");
    return;
  }
  await refreshChips();
}

chips.addEventListener("click", (event) => {
  const detach = event.target.closest("[data-action=detach]");
  if (!detach) return;
  event.preventDefault();
  const chip = detach.closest(".file-chip");
  detach.disabled = true;
  chip.dataset.leaving = "";
  attachOnly(attachedIds().filter((id) => id !== Number(chip.dataset.fileId)));
});

// The chooser's form: the files ticked, sent to the API instead of a page reload.
chips.addEventListener("submit", (event) => {
  const form = event.target.closest("form.chat-files");
  if (!form) return;
  event.preventDefault();
  const ticked = [...form.querySelectorAll("input[name=use_files]:checked")].map((box) => Number(box.value));
  closeMenus();
  attachOnly(ticked);
});

function sameFiles(files) {
  const shown = [...chips.querySelectorAll(".file-chip")].map((chip) => `${chip.dataset.fileId}:${chip.dataset.status}`);
  return files.map((file) => `${file.id}:${file.status}`).sort().join() === shown.sort().join();
}

// A file's state changed: its chip takes the status pill from the server's own row for it.
function updateChip(file, rowHtml) {
  // A refresh on its way may be older than this news: it would put back the old status (or
  // bring the chip this news had no chip for), so one more follows it.
  if (refreshing) refreshAgain = true;
  const chip = chips.querySelector(`.file-chip[data-file-id="${file.id}"]`);
  if (!chip) return;
  const template = document.createElement("template");
  template.innerHTML = rowHtml;
  const status = template.content.querySelector("[data-role=status]");
  if (status) chip.querySelector("[data-role=status]").replaceWith(status);
  chip.dataset.status = file.status;
}

onLiveEvent((event) => {
  if (event.type === "chat.updated" && event.chat.id === chatId) {
    if (!sameFiles(event.chat.files || [])) refreshChips();
  } else if (event.type === "file.updated") {
    updateChip(event.file, event.html);
  } else if (event.type === "file.deleted" && chips.querySelector(`.file-chip[data-file-id="${event.file_id}"]`)) {
    refreshChips();
  }
});

// ---- Uploads: a chip each while it travels, then the file's own chip ----------------------
function uploadChip(file) {
  const chip = document.createElement("li");
  chip.className = "upload-chip";
  chip.dataset.state = "uploading";
  chip.dataset.name = file.name;
  const name = Object.assign(document.createElement("span"), { className: "upload-chip-name", textContent: file.name });
  const note = Object.assign(document.createElement("span"), { className: "note", textContent: "0%" });
  note.dataset.role = "note";
  const bar = Object.assign(document.createElement("progress"), { max: 100, value: 0 });
  bar.setAttribute("aria-label", `Uploading ${file.name}`);
  const dismiss = Object.assign(document.createElement("button"), { type: "button", className: "icon-button small" });
  dismiss.setAttribute("aria-label", `Cancel uploading ${file.name}`);
  dismiss.title = "Cancel";
  dismiss.append(iconFromPage("close"));
  chip.append(name, note, dismiss, bar);
  uploads.appendChild(chip);
  return { chip, note, bar, dismiss };
}

function refuseChip({ chip, note, bar, dismiss }, reason) {
  chip.dataset.state = "refused";
  chip.setAttribute("role", "alert");
  bar.remove();
  note.textContent = reason;
  note.className = "note error-text";
  dismiss.setAttribute("aria-label", `Dismiss the message about ${chip.dataset.name}`);
  dismiss.title = "Dismiss";
}

async function uploadOne(file) {
  const parts = uploadChip(file);
  const { promise, abort } = uploadFile(attachForm.dataset.api, file, {
    fields: { chat_id: String(chatId) },
    onProgress: (percent) => {
      parts.bar.value = percent;
      parts.note.textContent = `${percent}%`;
    },
  });
  parts.dismiss.addEventListener("click", () => {
    if (parts.chip.dataset.state === "uploading") abort();
    parts.chip.remove();
  });
  let result;
  try {
    result = await promise;
  } catch {
    if (parts.chip.isConnected) refuseChip(parts, INTERRUPTED);
    return;
  }
  if (!result.ok) {
    refuseChip(parts, refusalText(result));
    return;
  }
  // Uploaded and attached: the file's own chip (with its reading status) takes over.
  await refreshChips();
  parts.chip.remove();
}

function uploadAll(files) {
  for (const file of files) uploadOne(file);
}

input.addEventListener("change", () => {
  uploadAll(input.files);
  input.value = "";
});
attachForm.addEventListener("submit", (event) => {
  event.preventDefault();
  uploadAll(input.files);
  input.value = "";
});

// Dropping files anywhere on the chat attaches them; the overlay says so meanwhile. A touch
// screen has nothing to drop, so it is not offered there.
if (!window.matchMedia("(hover: none) and (pointer: coarse)").matches) {
  acceptDrops(overlay, uploadAll);
}
