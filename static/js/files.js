// The files page: uploads with a progress bar per file, and live status updates.
import { onLiveEvent } from "./live.js";

const form = document.getElementById("upload-form");
const input = document.getElementById("file-input");
const progressList = document.getElementById("upload-progress");
const table = document.querySelector("#files tbody");
const csrfToken = form.querySelector("[name=csrfmiddlewaretoken]").value;

function statusText(file) {
  const label = { uploaded: "Uploaded", processing: "Processing", ready: "Ready", failed: "Failed" }[file.status];
  return file.error ? `${label}: ${file.error}` : label;
}

function upsertRow(file) {
  table.querySelector("[data-role=empty]")?.remove();
  let row = table.querySelector(`[data-file-id="${file.id}"]`);
  if (!row) {
    row = document.createElement("tr");
    row.dataset.fileId = file.id;
    for (let n = 0; n < 6; n += 1) row.appendChild(document.createElement("td"));
    const link = Object.assign(document.createElement("a"), { href: `/files/${file.id}/`, textContent: file.name });
    row.cells[0].appendChild(link);
    row.cells[1].textContent = file.kind.toUpperCase();
    row.cells[2].textContent = `${(file.size / 1024).toFixed(1)} KB`;
    row.cells[3].dataset.role = "status";
    row.cells[4].textContent = new Date(file.created_at).toLocaleString();
    row.cells[5].appendChild(Object.assign(document.createElement("a"), { href: `/files/${file.id}/download/`, textContent: "Download" }));
    table.prepend(row);
  }
  row.dataset.status = file.status;
  row.querySelector("[data-role=status]").textContent = statusText(file);
}

function uploadOne(file) {
  const item = document.createElement("li");
  item.className = "upload-item";
  item.dataset.name = file.name;
  const label = Object.assign(document.createElement("span"), { textContent: file.name });
  const bar = Object.assign(document.createElement("progress"), { max: 100, value: 0 });
  const note = Object.assign(document.createElement("span"), { className: "note" });
  item.append(label, bar, note);
  progressList.appendChild(item);

  const body = new FormData();
  body.append("file", file);
  const request = new XMLHttpRequest();
  request.open("POST", form.dataset.api);
  request.setRequestHeader("X-CSRFToken", csrfToken);
  request.setRequestHeader("Accept", "application/json");
  request.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
  });
  request.addEventListener("load", () => {
    let data = {};
    try { data = JSON.parse(request.responseText); } catch { /* not JSON */ }
    if (request.status === 200 || request.status === 201) {
      bar.value = 100;
      item.dataset.state = "done";
      note.textContent = data.duplicate ? "Already uploaded." : "Uploaded, reading it now…";
      upsertRow(data);
    } else {
      item.dataset.state = "refused";
      note.className = "note error-text";
      note.textContent = data.detail || `Upload failed (HTTP ${request.status}).`;
    }
  });
  request.addEventListener("error", () => {
    item.dataset.state = "refused";
    note.className = "note error-text";
    note.textContent = "The upload was interrupted. Check your connection and try again.";
  });
  request.send(body);
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
for (const name of ["dragenter", "dragover"]) {
  form.addEventListener(name, (event) => { event.preventDefault(); form.classList.add("dragging"); });
}
for (const name of ["dragleave", "drop"]) {
  form.addEventListener(name, () => form.classList.remove("dragging"));
}
form.addEventListener("drop", (event) => {
  event.preventDefault();
  uploadAll(event.dataTransfer.files);
});

onLiveEvent((event) => {
  if (event.type === "file.created" || event.type === "file.updated") upsertRow(event.file);
  if (event.type === "file.deleted") table.querySelector(`[data-file-id="${event.file_id}"]`)?.remove();
});
