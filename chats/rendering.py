"""Chat text to safe HTML: assistant Markdown rendered and sanitised, user text escaped."""

from functools import lru_cache

import nh3
from django.utils.html import escape
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

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
_ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

# Pygments lexes only a few hundred characters per millisecond, so a long reply that is all code
# takes well over 100 ms; code past this much in one message is shown unhighlighted.
MAX_HIGHLIGHTED_CODE_CHARS = 8_000

# nowrap=True because markdown-it keeps a highlight result as it is only when it starts with
# "<pre"; Pygments' own wrapper starts with "<div>" and would end up nested inside another <pre>.
_CODE_FORMATTER = HtmlFormatter(nowrap=True)


# Looking a lexer up by name scans Pygments' whole registry; the names come from replies, so the
# cache is bounded.
@lru_cache(maxsize=64)
def _lexer_for(language: str) -> Lexer:
    try:
        return get_lexer_by_name(language) if language else TextLexer()
    except ClassNotFound:
        return TextLexer()


def _highlight_code(code: str, language: str, _attributes: str) -> str:
    html = highlight(code, _lexer_for(language), _CODE_FORMATTER)
    return f'<pre class="highlight"><code>{html}</code></pre>'


def _limit_highlighting(state: StateCore) -> None:
    highlighted_chars = 0
    for token in state.tokens:
        if token.type != "fence":
            continue
        if highlighted_chars + len(token.content) > MAX_HIGHLIGHTED_CODE_CHARS:
            token.info = ""  # no language: _highlight_code escapes it as plain text
        else:
            highlighted_chars += len(token.content)


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


_MARKDOWN = MarkdownIt(
    "commonmark",
    {"html": False, "linkify": False, "typographer": False, "highlight": _highlight_code},
).enable(["table", "strikethrough"])
_MARKDOWN.core.ruler.push("use_allowed_tags_and_attributes", _use_allowed_tags_and_attributes)
_MARKDOWN.core.ruler.push("limit_highlighting", _limit_highlighting)


# Finished replies are shown again and again (every page load, API read, live event); rendering
# is pure Python and a long reply costs tens of milliseconds, so recent results are kept.
@lru_cache(maxsize=512)
def render_assistant_markdown(text: str) -> str:
    if not text:
        return ""
    return nh3.clean(
        _MARKDOWN.render(text),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def render_user_text(text: str) -> str:
    """User text is never Markdown or HTML: escaped, with its line breaks kept."""
    return escape(text.replace("\r\n", "\n")).replace("\n", "<br>")
