// The files page: uploads with a progress bar while they travel, refusals explained next to
// the file, and each file's row kept up to date live with the server's own row HTML.
import { onLiveEvent } from "./live.js";
import { iconFromPage } from "./ui.js";
import { INTERRUPTED, acceptDrops, refusalText, uploadFile } from "./uploads.js";

const form = document.getElementById("upload-form");
const input = document.getElementById("file-input");
const progressList = document.getElementById("upload-progress");
const list = document.getElementById("files");

function rowFrom(html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  return template.content.firstElementChild;
}

// The row is templates/files/_row.html, rendered by the server for the event.
function upsertRow(html, { arrived = false } = {}) {
  const row = rowFrom(html);
  if (!row) return;
  list.querySelector("[data-role=empty]")?.remove();
  const existing = list.querySelector(`[data-file-id="${row.dataset.fileId}"]`);
  if (existing) {
    existing.replaceWith(row);
  } else if (list.dataset.newestFirstPage === "true") {  // a new file belongs on the first page
    if (arrived) row.classList.add("arrived");
    list.prepend(row);
  }
}

function refuse(item, reason) {
  item.dataset.state = "refused";
  item.querySelector("progress")?.remove();
  const note = item.querySelector(".note");
  note.className = "note error-text";
  note.textContent = reason;
  const dismiss = Object.assign(document.createElement("button"), { type: "button", className: "icon-button small" });
  dismiss.setAttribute("aria-label", `Dismiss the message about ${item.dataset.name}`);
  dismiss.title = "Dismiss";
  dismiss.append(iconFromPage("close"));
  dismiss.addEventListener("click", () => item.remove());
  item.querySelector(".upload-name").after(dismiss);
}

async function uploadOne(file) {
  const item = document.createElement("li");
  item.className = "upload-item";
  item.dataset.name = file.name;
  item.dataset.state = "uploading";
  const name = Object.assign(document.createElement("span"), { className: "upload-name" });
  name.append(Object.assign(document.createElement("strong"), { textContent: file.name }));
  const bar = Object.assign(document.createElement("progress"), { max: 100, value: 0 });
  bar.setAttribute("aria-label", `Uploading ${file.name}`);
  const note = Object.assign(document.createElement("span"), { className: "note", textContent: "Uploading…" });
  item.append(name, note, bar);
  progressList.appendChild(item);

  let result;
  try {
    result = await uploadFile(form.dataset.api, file, { onProgress: (percent) => { bar.value = percent; } }).promise;
  } catch {
    refuse(item, INTERRUPTED);
    return;
  }
  if (!result.ok) {
    refuse(item, refusalText(result));
    return;
  }
  // Done travelling: from here on the file's row says how reading it goes.
  item.dataset.state = "done";
  if (result.data.duplicate) {
    bar.remove();
    note.textContent = "Already uploaded: it is in the list below.";
    setTimeout(() => item.remove(), 5000);
  } else if (list.dataset.newestFirstPage !== "true") {
    bar.remove();  // a later page of the list: the new row is on the first
    note.textContent = "Uploaded: new files are on the ";
    note.append(Object.assign(document.createElement("a"), { href: "?page=1", textContent: "first page" }), ".");
  } else {
    item.remove();
  }
}

function uploadAll(files) {
  for (const file of files) uploadOne(file);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  uploadAll(input.files);
  input.value = "";
});
input.addEventListener("change", () => {
  uploadAll(input.files);
  input.value = "";
});

// Dropping files anywhere on the page uploads them; the drop zone lights up meanwhile.
acceptDrops(form, uploadAll);

onLiveEvent((event) => {
  if (event.type === "file.created") upsertRow(event.html, { arrived: true });
  if (event.type === "file.updated") upsertRow(event.html);
  if (event.type === "file.deleted") list.querySelector(`[data-file-id="${event.file_id}"]`)?.remove();
});
