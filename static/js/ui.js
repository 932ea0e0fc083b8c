// What every page shares: the drawer on phones, menus, confirmation dialogs, toasts, and
// requests to the API with the page's CSRF token.
const root = document.documentElement;
root.classList.add("js");

export function csrfToken() {
  return document.querySelector("meta[name=csrf-token]")?.content
    || document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";
}

// JSON in and out; never throws for an HTTP error, only for a network one.
export async function apiRequest(url, { method = "POST", body } = {}) {
  const response = await fetch(url, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, data };
}

export function errorText(data) {
  if (data && data.errors) return Object.values(data.errors).flat().join(" ");
  return (data && data.detail) || "Something went wrong. Try again.";
}

// Toasts: the same words are never shown twice at once.
const TOAST_MS = 6000;

function dismissLater(toast) {
  setTimeout(() => {
    toast.dataset.leaving = "";
    setTimeout(() => toast.remove(), 300);
  }, TOAST_MS);
}

export function showToast(text, level = "info", href = null) {
  const box = document.getElementById("toasts");
  if (!box) return;
  for (const other of box.children) {
    if (other.textContent === text && !("leaving" in other.dataset)) return;
  }
  const toast = document.createElement(href ? "a" : "div");
  toast.className = `toast ${level}`;
  toast.textContent = text;
  if (href) toast.href = href;
  box.appendChild(toast);
  dismissLater(toast);
}

for (const toast of document.querySelectorAll("#toasts > [data-from=server]")) dismissLater(toast);

// Confirmation in a <dialog>; resolves true when confirmed.
export function confirmDialog({ title, text, confirmLabel = "Delete" }) {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return Promise.resolve(window.confirm(text));
  dialog.querySelector("[data-role=title]").textContent = title;
  dialog.querySelector("[data-role=text]").textContent = text;
  dialog.querySelector("[data-role=confirm]").textContent = confirmLabel;
  dialog.returnValue = "";
  dialog.showModal();
  dialog.querySelector("button[value=cancel]").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
  });
}

// A form that says data-confirm asks first, in a dialog, and says so in its `confirmed` field
// if it has one; without JavaScript the server asks on a page of its own.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  if (form.method.toLowerCase() === "post" && !form.querySelector("[name=csrfmiddlewaretoken]")) {
    // Rows that arrived live were rendered without a request, so without a token.
    const token = Object.assign(document.createElement("input"), {
      type: "hidden", name: "csrfmiddlewaretoken", value: csrfToken(),
    });
    form.prepend(token);
  }
  if (!form.dataset.confirm || form.dataset.confirmed === "yes") return;
  event.preventDefault();
  const confirmed = await confirmDialog({
    title: form.dataset.confirmTitle || "Are you sure?",
    text: form.dataset.confirm,
    confirmLabel: form.dataset.confirmButton || "Delete",
  });
  if (confirmed) {
    form.dataset.confirmed = "yes";
    if (form.elements.confirmed) form.elements.confirmed.value = "yes";
    form.requestSubmit();
  }
});

// Menus are <details>: one open at a time, closed by a click elsewhere or Escape. A menu in a
// scrolling list floats above it, so the list never clips it.
export function closeMenus(except = null) {
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    if (menu !== except && !menu.contains(except)) menu.open = false;
  }
}

function placeFloating(menu) {
  const panel = menu.querySelector(".menu-panel");
  if (!panel || panel.classList.contains("opens-up") || !menu.closest(".chat-groups")) return;
  const anchor = menu.querySelector("summary").getBoundingClientRect();
  panel.classList.add("floating");
  const height = panel.offsetHeight;
  const below = anchor.bottom + 4 + height <= window.innerHeight;
  panel.style.top = `${below ? anchor.bottom + 4 : Math.max(8, anchor.top - height - 4)}px`;
  panel.style.left = `${Math.max(8, Math.min(anchor.right - panel.offsetWidth, window.innerWidth - panel.offsetWidth - 8))}px`;
}

document.addEventListener("toggle", (event) => {
  const menu = event.target;
  if (!(menu instanceof HTMLDetailsElement) || !menu.classList.contains("menu")) return;
  if (menu.open) {
    closeMenus(menu);
    placeFloating(menu);
  }
}, true);

document.addEventListener("click", (event) => {
  const inside = event.target.closest("details.menu");
  closeMenus(inside);
  if (inside && event.target.closest(".menu-item")) {
    // A menu item was chosen: the menu has done its job.
    setTimeout(() => { inside.open = false; }, 0);
  }
});

document.addEventListener("scroll", (event) => {
  if (event.target instanceof Element && event.target.closest(".chat-groups")) closeMenus();
}, true);

// The drawer: the sidebar on a phone.
const shell = document.getElementById("shell");
const menuButton = document.querySelector("[data-action=open-drawer]");
const backdrop = document.querySelector(".backdrop");
const sidebar = document.getElementById("sidebar");

function setDrawer(open) {
  if (!shell) return;
  shell.classList.toggle("drawer-open", open);
  if (backdrop) backdrop.hidden = !open;
  menuButton?.setAttribute("aria-expanded", String(open));
  if (open) {
    sidebar?.querySelector("input, a, button")?.focus({ preventScroll: true });
  }
}

menuButton?.addEventListener("click", (event) => {
  event.preventDefault(); // without JavaScript the button is a link to the chat list
  setDrawer(!shell.classList.contains("drawer-open"));
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-action=close-drawer]")) {
    setDrawer(false);
    menuButton?.focus();
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (document.querySelector("details.menu[open]")) {
    closeMenus();
  } else if (shell?.classList.contains("drawer-open")) {
    setDrawer(false);
    menuButton?.focus();
  }
});

// An inline SVG icon from the page's <template id="icon-…"> (templates/base.html).
export function iconFromPage(name) {
  const icon = document.getElementById(`icon-${name}`);
  return icon ? icon.content.firstElementChild.cloneNode(true) : document.createTextNode("");
}

// A copy button shows a tick for a moment instead of a toast.
export async function copyWithFeedback(button, textOrPromise) {
  try {
    if (typeof textOrPromise === "string" || typeof ClipboardItem === "undefined") {
      await navigator.clipboard.writeText(await textOrPromise);
    } else {
      // Handing the clipboard a promise keeps the click's permission while the text loads.
      const blob = Promise.resolve(textOrPromise).then((text) => new Blob([text], { type: "text/plain" }));
      await navigator.clipboard.write([new ClipboardItem({ "text/plain": blob })]);
    }
  } catch {
    showToast("Copying was not allowed by the browser.", "error");
    return;
  }
  const icon = button.querySelector("svg");
  const tick = iconFromPage("check");
  const label = button.getAttribute("aria-label");
  button.dataset.copied = "true";
  button.setAttribute("aria-label", "Copied");
  if (icon) icon.replaceWith(tick);
  setTimeout(() => {
    if (icon) tick.replaceWith(icon);
    button.setAttribute("aria-label", label);
    delete button.dataset.copied;
  }, 1500);
}
