"""Chat text to safe HTML: assistant Markdown rendered and sanitised, user text escaped."""

from functools import cache

import nh3
from django.utils.html import escape
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
    "span", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    "div", "sup",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "span": {"class"},
    "div": {"class"},
    "pre": {"class"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
_FORMATTER = HtmlFormatter(nowrap=True)


def _highlight_code(code: str, language: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(language) if language else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    # markdown-it uses a result that starts with <pre> as it is, instead of wrapping it again.
    return f'<pre class="highlight"><code>{highlight(code, lexer, _FORMATTER)}</code></pre>'


@cache
def _markdown() -> MarkdownIt:
    options = {"html": False, "linkify": False, "typographer": False, "highlight": _highlight_code}
    return MarkdownIt("commonmark", options).enable(["table", "strikethrough"])


def render_assistant_markdown(text: str) -> str:
    if not text:
        return ""
    html = _markdown().render(text)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_user_text(text: str) -> str:
    """User text is never Markdown or HTML: escaped, with its line breaks kept."""
    return str(escape(text)).replace("\n", "<br>")
