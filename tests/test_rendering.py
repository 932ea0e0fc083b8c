"""Replies are rendered from Markdown and sanitised; user text is only ever escaped."""

import re
from html.parser import HTMLParser

from chats.rendering import render_assistant_markdown, render_user_text


class _ElementCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def elements_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """The tags a browser would build from html, with their attributes."""
    collector = _ElementCollector()
    collector.feed(html)
    collector.close()
    return collector.elements


def test_headings_emphasis_and_lists_render() -> None:
    html = render_assistant_markdown("# Title\n\n**bold**, *it* and ~~gone~~\n\n- one\n- two")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<em>it</em>" in html
    assert "<del>gone</del>" in html
    assert "<li>one</li>" in html


def test_tables_render_with_their_alignment() -> None:
    html = render_assistant_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert '<th align="left">a</th>' in html
    assert '<td align="right">2</td>' in html


def test_numbered_list_keeps_its_start() -> None:
    assert '<ol start="3">' in render_assistant_markdown("3. three\n4. four")


def test_code_is_marked_with_its_language_for_the_browser_to_highlight() -> None:
    html = render_assistant_markdown("```python\nif x:\n    import os\n```")
    assert html == '<pre><code class="language-python">if x:\n    import os\n</code></pre>\n'


def test_code_in_any_language_is_escaped_plain_text() -> None:
    html = render_assistant_markdown("```nosuchlang\n<b>x</b> & y\n```")
    assert (
        '<pre><code class="language-nosuchlang">&lt;b&gt;x&lt;/b&gt; &amp; y\n</code></pre>' in html
    )


def test_code_without_a_language_is_escaped_plain_text() -> None:
    html = render_assistant_markdown("```\n<script>alert(1)</script>\n```")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert [tag for tag, _ in elements_of(html)] == ["pre", "code"]


def test_a_quote_in_the_language_name_cannot_leave_the_class_attribute() -> None:
    html = render_assistant_markdown('```x"onmouseover="alert(1)\ncode\n```')
    assert elements_of(html)[1] == ("code", {"class": 'language-x"onmouseover="alert(1)'})


def test_an_image_becomes_a_link_to_it_and_is_never_loaded() -> None:
    html = render_assistant_markdown('![a *chart*](https://example.com/c.png "Sales")')
    assert "img" not in [tag for tag, _ in elements_of(html)]
    assert elements_of(html)[1] == (
        "a",
        {
            "href": "https://example.com/c.png",
            "title": "Sales",
            "rel": "noopener noreferrer nofollow",
        },
    )
    assert "<em>chart</em>" in html


def test_an_image_inside_a_link_keeps_only_its_words() -> None:
    html = render_assistant_markdown("[![logo](https://example.com/l.png)](https://example.com)")
    assert [tag for tag, _ in elements_of(html)] == ["p", "a"]
    assert ">logo</a>" in html


def test_script_tag_in_markdown_is_not_a_tag() -> None:
    html = render_assistant_markdown("<script>alert(1)</script>\n\nhi <script>alert(2)</script>")
    assert "<script" not in html
    assert "script" not in [tag for tag, _ in elements_of(html)]


def test_img_onerror_is_not_an_attribute() -> None:
    html = render_assistant_markdown("<img src=x onerror=alert(1)>\n\n![a](x onerror=alert(1))")
    assert not any(
        name.startswith("on") for _, attributes in elements_of(html) for name in attributes
    )
    assert "img" not in [tag for tag, _ in elements_of(html)]


def test_iframes_and_style_attributes_are_neutralised() -> None:
    html = render_assistant_markdown(
        '<iframe src="https://evil.example"></iframe>\n\n<p style="color:red">x</p>'
    )
    assert [tag for tag, _ in elements_of(html)] == ["p", "p"]
    assert all(attributes == {} for _, attributes in elements_of(html))


def test_javascript_links_get_no_href() -> None:
    html = render_assistant_markdown(
        "[x](javascript:alert(1)) [y](JavaScript:alert(1)) <javascript:alert(1)>"
        " [z](<java\tscript:alert(1)>)"
    )
    hrefs = [attributes.get("href") or "" for tag, attributes in elements_of(html) if tag == "a"]
    # Browsers drop tabs and newlines from a URL before reading its scheme.
    schemes = [re.sub(r"[\t\n\r]", "", href).partition(":")[0].lower() for href in hrefs]
    assert "javascript" not in schemes


def test_link_schemes_outside_the_allow_list_stay_text() -> None:
    html = render_assistant_markdown(
        "[call](tel:123) [data](ftp://example.com/x) [d](data:text/html,x) ![i](data:image/png;a)"
    )
    assert all("href" not in attributes for _, attributes in elements_of(html))
    assert "[call](tel:123)" in html


def test_relative_links_are_kept() -> None:
    html = render_assistant_markdown("[files](/files/) [top](#top)")
    hrefs = [attributes.get("href") for tag, attributes in elements_of(html) if tag == "a"]
    assert hrefs == ["/files/", "#top"]


def test_links_open_normally_with_a_safe_rel() -> None:
    html = render_assistant_markdown("[docs](https://example.com/a?b=1&c=2) <mailto:a@b.example>")
    links = [attributes for tag, attributes in elements_of(html) if tag == "a"]
    assert links == [
        {"href": "https://example.com/a?b=1&c=2", "rel": "noopener noreferrer nofollow"},
        {"href": "mailto:a@b.example", "rel": "noopener noreferrer nofollow"},
    ]


def test_user_text_is_escaped_not_markdown() -> None:
    assert render_user_text("<b>hi</b>\n**x**") == "&lt;b&gt;hi&lt;/b&gt;<br>**x**"


def test_user_text_keeps_windows_line_breaks_as_one_break() -> None:
    assert render_user_text("a\r\nb") == "a<br>b"


def test_empty_text_renders_empty() -> None:
    assert render_assistant_markdown("") == ""
    assert render_user_text("") == ""
