// Sending a file to POST /api/files/ with its progress, for the files page and the chat page.
import { csrfToken, errorText } from "./ui.js";

/** Uploads `file` (with extra form `fields`, such as a chat_id), calling onProgress(percent).
 * Returns { promise, abort }; the promise gives { ok, status, data } for any HTTP answer and
 * fails only when the upload is interrupted or aborted. */
export function uploadFile(url, file, { fields = {}, onProgress = () => {} } = {}) {
  const body = new FormData();
  body.append("file", file);
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  const request = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    request.open("POST", url);
    request.setRequestHeader("X-CSRFToken", csrfToken());
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
    });
    request.addEventListener("load", () => {
      let data = {};
      try { data = JSON.parse(request.responseText); } catch { /* not JSON */ }
      resolve({ ok: request.status >= 200 && request.status < 300, status: request.status, data });
    });
    request.addEventListener("error", () => reject(new Error("interrupted")));
    request.addEventListener("abort", () => reject(new Error("aborted")));
    request.send(body);
  });
  return { promise, abort: () => request.abort() };
}

/** Why an upload was refused, in words for people. */
export function refusalText(result) {
  if (result.status === 401) return "You were signed out. Sign in again, then upload the file.";
  return errorText(result.data);
}

export const INTERRUPTED = "The upload was interrupted. Check your connection and try again.";

/** Calls onFiles(files) for files dropped anywhere on the page, and lights `zone` up while
 * files are dragged over it (its class `dragging`). */
export function acceptDrops(zone, onFiles) {
  let depth = 0;
  const carriesFiles = (event) => event.dataTransfer?.types.includes("Files");
  document.addEventListener("dragenter", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth += 1;
    zone.classList.add("dragging");
  });
  document.addEventListener("dragover", (event) => {
    if (carriesFiles(event)) event.preventDefault();
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove("dragging");
  });
  document.addEventListener("drop", (event) => {
    if (!event.dataTransfer?.files.length) return;
    event.preventDefault();
    depth = 0;
    zone.classList.remove("dragging");
    onFiles(event.dataTransfer.files);
  });
}
