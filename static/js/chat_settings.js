// A chat's model and system prompt: the picker in the header (the models of /api/models/, the
// choice saved with PATCH) and the dialog for the system prompt; both follow every tab.
import { onLiveEvent } from "./live.js";
import { apiRequest, closeMenus, errorText, showToast } from "./ui.js";

const chat = document.getElementById("chat");
const chatId = Number(chat.dataset.chatId);
const chatApiUrl = chat.dataset.chatApi;
const picker = document.querySelector("[data-role=model-picker]");
const options = picker.querySelector("[data-role=model-options]");
const modelName = picker.querySelector("[data-role=model-name]");
const modelDot = picker.querySelector(".model-dot");
const promptSummary = picker.querySelector("[data-role=system-prompt-summary]");
const dialog = document.getElementById("chat-settings-dialog");
const form = dialog.querySelector("form[data-role=chat-model]");
const modelSelect = form.elements.model;
const promptField = form.elements.system_prompt;
const formError = form.querySelector("[data-role=settings-error]");

const SUMMARY_CHARS = 40;
const current = { model: picker.dataset.model, systemPrompt: promptField.defaultValue };
let models = [...options.querySelectorAll("button[name=model]")].map((button) => ({
  id: button.value,
  name: button.dataset.name,
  connection: button.dataset.connection,
  builtin: button.dataset.builtin === "true",
  default: button.dataset.default === "true",
}));

function chosenModel() {
  const key = current.model || models.find((model) => model.default)?.id;
  return models.find((model) => model.id === key) ?? null;
}

function textElement(tag, className, text) {
  return Object.assign(document.createElement(tag), { className, textContent: text });
}

// Mirrors templates/chats/_model_picker.html, for a list fetched again from /api/models/.
function optionButton(model) {
  const button = Object.assign(document.createElement("button"), {
    type: "submit", name: "model", value: model.id, className: "menu-item model-option",
  });
  Object.assign(button.dataset, { name: model.name, connection: model.connection });
  if (model.default) button.dataset.default = "true";
  if (model.builtin) button.dataset.builtin = "true";
  const name = textElement("span", "model-option-name", model.name);
  if (model.default) name.append(" ", textElement("span", "badge", "Default"));
  const text = textElement("span", "model-option-text", "");
  text.append(name, textElement("span", "model-option-where", model.connection));
  const check = document.getElementById("icon-check").content.firstElementChild.cloneNode(true);
  check.classList.add("model-check");
  button.append(text, check);
  return button;
}

function showChoice() {
  const chosen = chosenModel();
  modelName.textContent = chosen ? chosen.name : "Model not available";
  modelDot.classList.toggle("builtin", Boolean(chosen?.builtin));
  modelDot.classList.toggle("missing", !chosen);
  for (const button of options.querySelectorAll("button[name=model]")) {
    if (chosen && button.value === chosen.id) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
  const prompt = Array.from(current.systemPrompt);
  promptSummary.textContent = !prompt.length
    ? "None set"
    : prompt.length > SUMMARY_CHARS ? `${prompt.slice(0, SUMMARY_CHARS - 1).join("")}…` : current.systemPrompt;
}

async function loadModels() {
  const response = await fetch(options.dataset.api, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  models = await response.json();
  options.querySelectorAll("button[name=model]").forEach((button) => button.remove());
  options.append(...models.map(optionButton));
  const chosenInDialog = modelSelect.value;
  modelSelect.replaceChildren(
    new Option("Server default", ""),
    ...models.map((model) => new Option(`${model.name} (${model.connection})`, model.id)),
  );
  modelSelect.value = chosenInDialog;
  showChoice();
}

function applyChat(data) {
  current.model = data.model;
  current.systemPrompt = data.system_prompt;
  picker.dataset.model = data.model;
  showChoice();
  if (!dialog.open) {
    modelSelect.value = data.model;
    promptField.value = promptField.defaultValue = data.system_prompt;
  }
}

async function save(body) {
  const result = await apiRequest(chatApiUrl, { method: "PATCH", body });
  if (result.ok) applyChat(result.data);
  return result;
}

picker.addEventListener("toggle", () => {
  if (picker.open) loadModels();
});

options.addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = event.submitter?.value;
  if (key === undefined) return;
  closeMenus();
  const result = await save({ model: key });
  if (!result.ok) showToast(errorText(result.data), "error");
});

picker.querySelector("[data-action=edit-system-prompt]").addEventListener("click", (event) => {
  event.preventDefault();
  closeMenus();
  modelSelect.value = current.model;
  promptField.value = current.systemPrompt;
  formError.hidden = true;
  dialog.showModal();
  promptField.focus();
});

form.querySelector("[data-role=cancel]").addEventListener("click", () => dialog.close());

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const saveButton = event.submitter;
  if (saveButton) saveButton.disabled = true;
  try {
    const result = await save({ model: modelSelect.value, system_prompt: promptField.value });
    if (!result.ok) {
      const modelGone = result.status === 400 && result.data.errors?.model;
      formError.textContent = modelGone
        ? "That model is not offered any more: choose another one."
        : errorText(result.data);
      formError.hidden = false;
      if (modelGone) loadModels();
      return;
    }
    dialog.close();
    showToast("Saved: the next reply in this chat uses it.", "info");
  } finally {
    if (saveButton) saveButton.disabled = false;
  }
});

onLiveEvent((event) => {
  if (event.type === "chat.updated" && event.chat.id === chatId) applyChat(event.chat);
});
