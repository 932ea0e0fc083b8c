"""Replies are rendered from Markdown and sanitised; user text is only ever escaped."""

from chats.rendering import render_assistant_markdown, render_user_text


def test_markdown_basics_render() -> None:
    html = render_assistant_markdown(
        "# Title\n\n**bold** and *it*\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<li>one</li>" in html
    assert "<td>1</td>" in html


def test_code_is_highlighted_and_unknown_languages_are_escaped() -> None:
    python = render_assistant_markdown("```python\nimport os\n```")
    assert '<pre class="highlight">' in python
    assert '<span class="kn">import</span>' in python
    unknown = render_assistant_markdown("```nosuchlang\n<b>x</b>\n```")
    assert "&lt;b&gt;x&lt;/b&gt;" in unknown


def test_raw_html_and_script_never_come_through() -> None:
    html = render_assistant_markdown(
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<iframe src=//x></iframe>"
    )
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html


def test_javascript_links_are_dropped_and_links_get_rel() -> None:
    unsafe = render_assistant_markdown("[x](javascript:alert(1)) <a href='javascript:x'>y</a>")
    assert "<a" not in unsafe  # left as plain text, never a link
    link = render_assistant_markdown("[docs](https://example.com)")
    assert 'href="https://example.com"' in link
    assert "noopener" in link


def test_user_text_is_escaped_with_line_breaks() -> None:
    assert render_user_text("<b>hi</b>\n**x**") == "&lt;b&gt;hi&lt;/b&gt;<br>**x**"


def test_empty_text_renders_empty() -> None:
    assert render_assistant_markdown("") == ""
    assert render_user_text("") == ""
