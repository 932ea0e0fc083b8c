"""Chat text to safe HTML: assistant Markdown rendered and sanitised, user text escaped.

The browser renders a reply while it streams with markdown-it (static/js/markdown.js), set up
exactly like this port of it, so a finished reply looks the same before and after it completes.
Code is highlighted in the browser for both; the server only marks each fence's language.
"""

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

_ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
    "span", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    "div", "sup",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "span": {"class"},
    "div": {"class"},
    "pre": {"class"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
    # Beyond the minimal list: without it "3. step" renders as a list numbered from 1.
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)


def link_is_allowed(url: str) -> bool:
    """http, https, mailto or a relative URL; anything else stays text instead of a link.
    `url` is already normalised by markdown-it (percent-encoded, so no hidden tabs)."""
    scheme = _SCHEME.match(url)
    return scheme is None or scheme.group(1).lower() in ALLOWED_URL_SCHEMES


def _use_allowed_tags_and_attributes(state: StateCore) -> None:
    # markdown-it writes strikethrough as <s> and table alignment as style="text-align:…",
    # both of which the sanitiser would strip; <del> and align= say the same and are allowed.
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and "style" in token.attrs:
            alignment = str(token.attrs.pop("style")).removeprefix("text-align:")
            token.attrs["align"] = alignment
        for child in token.children or ():
            if child.type in ("s_open", "s_close"):
                child.tag = "del"


def _images_as_links(state: StateCore) -> None:
    # Replies never load images (a tracking pixel would tell a third party the chat was read):
    # an image becomes a link to it, named by its alt text.
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        links_open = 0
        for token in block.children:
            links_open += {"link_open": 1, "link_close": -1}.get(token.type, 0)
            if token.type != "image":
                children.append(token)
                continue
            alt = token.children or [_text_token(str(token.attrGet("src") or ""))]
            if links_open:  # a link inside a link is not HTML: keep just the words
                children.extend(alt)
                continue
            opening = Token("link_open", "a", 1)
            opening.attrSet("href", str(token.attrGet("src") or ""))
            if token.attrGet("title"):
                opening.attrSet("title", str(token.attrGet("title")))
            children.extend([opening, *alt, Token("link_close", "a", -1)])
        block.children = children


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _safe_link_rel(state: StateCore) -> None:
    for block in state.tokens:
        for token in block.children or ():
            if token.type == "link_open":
                token.attrSet("rel", LINK_REL)


_MARKDOWN = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "typographer": False}
).enable(["table", "strikethrough"])
_MARKDOWN.validateLink = link_is_allowed  # type: ignore[method-assign]
_MARKDOWN.core.ruler.push("use_allowed_tags_and_attributes", _use_allowed_tags_and_attributes)
_MARKDOWN.core.ruler.push("images_as_links", _images_as_links)
_MARKDOWN.core.ruler.push("safe_link_rel", _safe_link_rel)


# Finished replies are shown again and again (every page load, API read, live event); rendering
# is pure Python and a long reply costs tens of milliseconds, so recent results are kept.
@lru_cache(maxsize=512)
def render_assistant_markdown(text: str) -> str:
    if not text:
        return ""
    # Markdown with html off already escapes every tag; the sanitiser is the second lock.
    return nh3.clean(
        _MARKDOWN.render(text),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
    )


def render_user_text(text: str) -> str:
    """User text is never Markdown or HTML: escaped (as Django's escape(), without its lazy-text
    wrapper: this runs for every message shown), with its line breaks kept."""
    return html.escape(text.replace("\r\n", "\n")).replace("\n", "<br>")
