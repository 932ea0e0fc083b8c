// Replies as the server renders them (chats/rendering.py), in the browser: the same markdown-it
// (the server runs its Python port of the same version) with the same options and rules, the
// same allow-list sanitising, then code highlighting and copy buttons, which both paths share.
import "../vendor/markdown-it/markdown-it.min.js"; // sets globalThis.markdownit
import hljs from "../vendor/highlight.js/highlight.min.js";
import { iconFromPage } from "./ui.js";

const ALLOWED_SCHEMES = new Set(["http", "https", "mailto"]);
const LINK_REL = "noopener noreferrer nofollow";
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const ALLOWED_TAGS = new Set([
  "P", "BR", "HR", "H1", "H2", "H3", "H4", "H5", "H6", "STRONG", "EM", "DEL", "CODE", "PRE",
  "SPAN", "BLOCKQUOTE", "UL", "OL", "LI", "A", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD",
  "DIV", "SUP",
]);
const ALLOWED_ATTRIBUTES = {
  A: ["href", "title", "rel"], SPAN: ["class"], DIV: ["class"], PRE: ["class"], CODE: ["class"],
  TH: ["align"], TD: ["align"], OL: ["start"],
};
// A longer code block is shown plainly: highlighting it would hold up the page.
const MAX_HIGHLIGHTED_CHARS = 20000;

export function linkIsAllowed(url) {
  const scheme = SCHEME.exec(url);
  return scheme === null || ALLOWED_SCHEMES.has(scheme[1].toLowerCase());
}

function useAllowedTagsAndAttributes(state) {
  for (const token of state.tokens) {
    if ((token.type === "th_open" || token.type === "td_open") && token.attrGet("style")) {
      const alignment = token.attrGet("style").replace(/^text-align:/, "");
      token.attrs = token.attrs.filter(([name]) => name !== "style");
      token.attrSet("align", alignment);
    }
    for (const child of token.children || []) {
      if (child.type === "s_open" || child.type === "s_close") child.tag = "del";
    }
  }
}

function imagesAsLinks(state) {
  for (const block of state.tokens) {
    if (block.type !== "inline" || !block.children) continue;
    const children = [];
    let linksOpen = 0;
    for (const token of block.children) {
      if (token.type === "link_open") linksOpen += 1;
      if (token.type === "link_close") linksOpen -= 1;
      if (token.type !== "image") {
        children.push(token);
        continue;
      }
      let alt = token.children;
      if (!alt || alt.length === 0) {
        const text = new state.Token("text", "", 0);
        text.content = token.attrGet("src") || "";
        alt = [text];
      }
      if (linksOpen) {
        children.push(...alt);
        continue;
      }
      const opening = new state.Token("link_open", "a", 1);
      opening.attrSet("href", token.attrGet("src") || "");
      if (token.attrGet("title")) opening.attrSet("title", token.attrGet("title"));
      children.push(opening, ...alt, new state.Token("link_close", "a", -1));
    }
    block.children = children;
  }
}

function safeLinkRel(state) {
  for (const block of state.tokens) {
    for (const token of block.children || []) {
      if (token.type === "link_open") token.attrSet("rel", LINK_REL);
    }
  }
}

const markdown = globalThis.markdownit("commonmark", { html: false, linkify: false, typographer: false })
  .enable(["table", "strikethrough"]);
markdown.validateLink = linkIsAllowed;
markdown.core.ruler.push("use_allowed_tags_and_attributes", useAllowedTagsAndAttributes);
markdown.core.ruler.push("images_as_links", imagesAsLinks);
markdown.core.ruler.push("safe_link_rel", safeLinkRel);

// The same allow-list as the server's sanitiser: an element not on it gives way to its children,
// an attribute not on it goes, and so does a link to a scheme not allowed.
function sanitize(root) {
  for (const element of [...root.querySelectorAll("*")]) {
    if (!ALLOWED_TAGS.has(element.tagName)) {
      element.replaceWith(...element.childNodes);
      continue;
    }
    const allowed = ALLOWED_ATTRIBUTES[element.tagName] || [];
    for (const { name } of [...element.attributes]) {
      if (!allowed.includes(name)) element.removeAttribute(name);
    }
    if (element.tagName === "A") {
      if (element.hasAttribute("href") && !linkIsAllowed(element.getAttribute("href"))) {
        element.removeAttribute("href");
      }
      element.setAttribute("rel", LINK_REL);
    }
  }
  return root;
}

// A reply's Markdown as the nodes the server's HTML for it would give (not yet enhanced).
export function markdownNodes(text) {
  const template = document.createElement("template");
  template.innerHTML = text ? markdown.render(text) : "";
  return [...sanitize(template.content).childNodes];
}

function codeBlock(pre) {
  const code = pre.querySelector("code");
  const language = [...(code?.classList || [])].find((name) => name.startsWith("language-"))?.slice(9);
  if (code && language && hljs.getLanguage(language) && code.textContent.length <= MAX_HIGHLIGHTED_CHARS) {
    code.innerHTML = hljs.highlight(code.textContent, { language, ignoreIllegals: true }).value;
    code.classList.add("hljs");
  }
  const block = document.createElement("div");
  block.className = "code-block";
  const head = document.createElement("div");
  head.className = "code-head";
  const label = document.createElement("span");
  label.textContent = language || "text";
  const copy = document.createElement("button");
  copy.type = "button";
  copy.className = "icon-button small";
  copy.dataset.action = "copy-code";
  copy.setAttribute("aria-label", "Copy code");
  copy.title = "Copy code";
  copy.append(iconFromPage("copy"));
  head.append(label, copy);
  pre.replaceWith(block);
  block.append(head, pre);
  return block;
}

// Highlighting and a copy button for each code block; returns the node to show in its place.
export function enhance(node) {
  if (node.nodeType !== Node.ELEMENT_NODE) return node;
  const holder = document.createElement("div");
  holder.append(node);
  for (const pre of [...holder.querySelectorAll("pre")]) codeBlock(pre);
  return holder.firstChild;
}

// Server-rendered reply HTML, enhanced in place.
export function enhanceBody(body) {
  for (const node of [...body.childNodes]) {
    const next = node.nextSibling;
    body.insertBefore(enhance(node), next);
  }
}

// Re-renders a streaming reply into `body`, touching only the blocks that changed since the
// last render, so earlier paragraphs (and a selection in them) stay put. `memory` keeps the
// raw nodes of the last render for comparison.
export function renderInto(body, text, memory) {
  const fresh = markdownNodes(text);
  const before = memory.raw || [];
  const shown = memory.shown || [];
  const next = fresh.map((node, index) => (
    before[index]?.isEqualNode(node) && shown[index] ? shown[index] : enhance(node.cloneNode(true))
  ));
  next.forEach((node, index) => {
    const current = body.childNodes[index];
    if (current !== node) {
      if (current) body.replaceChild(node, current); else body.append(node);
    }
  });
  while (body.childNodes.length > next.length) body.lastChild.remove();
  memory.raw = fresh;
  memory.shown = next;
}
