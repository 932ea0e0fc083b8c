"""A reply looks the same whether the browser formatted it while it streamed or the server did
once it was finished: the same DOM, for tricky Markdown too, and no jump at the end."""

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from chats.rendering import render_assistant_markdown
from tests.browser_helpers import sign_in_page
from tests.conftest import PASSWORD, at_desktop_and_dark_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OpenPage = Callable[..., Page]

CORPUS = [
    "",
    "   \n\n  ",
    "Plain text with a line\nbreak, a hard one  \nand another\\\nthere.",
    "# Heading 1\n## Heading 2\n###### Heading 6\n#NoSpace\n\nSetext\n======\n\nSub\n---",
    "*a **b** c* __init__ a*b*c **unclosed *half ~~gone~~ ~one~ ***both***",
    "Escapes: \\*not em\\* \\# \\[x\\] \\` \\\\ and `code with <b>tags</b> & | pipes`",
    "| Left | Centre | Right | None |\n|:-----|:------:|------:|------|\n"
    "| a | **b** | `c|d` | e \\| f |\n| 1 | 2 |",
    "| a |\n|---|\nno pipes here\n\n| not | a table |\n| but | text |",
    "3. three\n4. four\n   - nested *one*\n     1. deeper\n\n   - loose\n5. five\n\n- a\n+ b\n* c",
    "- [ ] task? not here\n- item with\n\n  two paragraphs\n\n      indented code\n- last",
    "```python\ndef f(x):\n    return x < 3 and '<b>'\n```\n\n"
    "~~~\ntilde fence\n~~~\n\n```\nno language\n```",
    '```x"onmouseover="alert(1)\ncode\n```\n\n```js {title="a"}\nlet a = 1;\n```',
    "    indented code block\n    <script>alert(1)</script>\n\nafter",
    "> quote with **bold**\n> - list in quote\n>\n> ```sh\n> echo hi\n> ```\n"
    ">> nested\n>> # heading in quote",
    '[ok](https://example.com/a?b=1&c=2 "Title & more") [rel](/files/3/) [frag](#top) '
    "[mail](mailto:a@b.example) <https://example.com/x_(y)> <a@b.example>",
    "[js](javascript:alert(1)) [JS](JavaScript:alert(1)) <javascript:alert(1)> "
    "[data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:msgbox) [tab](<java\tscript:x>) "
    "[tel](tel:123) [ftp](ftp://example.com/f) [file](file:///etc/passwd)",
    "[ref link][r] and [collapsed][] and [r]\n\n[r]: https://example.com/ref 'T'\n[collapsed]: /c",
    '![alt *text*](https://example.com/i.png "Image") ![](https://example.com/e.png) '
    "[![inner](https://example.com/l.png)](https://example.com) ![data](data:image/png;base64,AA)",
    "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<div onclick='x'>block</div>\n\n"
    "inline <b>bold?</b> <!-- comment --> <a href='javascript:x'>a</a> &lt;tag&gt;",
    "Entities: &amp; &copy; &#x27; &#39; &nbsp;|&NotAnEntity; &quot;q&quot; ©",
    "中文 **粗体** と *日本語* 한국어 `코드`\n\n| 名前 | 値 |\n|---|---|\n| 東京 | 🗼 |",
    "Emoji 👍🏽 **🎉** 👨‍👩‍👧‍👦 ~~😀~~ `🙂` and RTL: مرحبا *بالعالم*",
    "Line one\r\nline two\r\n\r\n- crlf list\r\n- item",
    "---\n***\n___\n\ntext\n***\n\n- - -",
    "https://example.com/bare-link-not-linked www.example.com",
    "[münchen](https://münchen.example/straße?q=ä) [enc](https://example.com/a%20b) [sp](<a b>)",
    "Footnote-looking[^1] and html entity in link [x](https://example.com/?a=1&amp;b=2)\n\n"
    "[^1]: not a footnote",
    "```python\nunclosed fence that goes on\nto the end",
    "1) paren list\n2) two\n\n10. ten\n11. eleven",
    "A very long line " + "word " * 200,
    "Table after text\n| a | b |\n|---|---|\n| 1 | 2 |\n\n| x |\n|:-:|\n| only one column |",
]

COMPARE = """
async ({ samples, server }) => {
  const chat = document.querySelector('script[src*="/chat."]').src;
  const md = await import(new URL("markdown.js", chat).href);
  const problems = [];
  samples.forEach((text, index) => {
    const fromServer = document.createElement("div");
    fromServer.innerHTML = server[index];
    const fromBrowser = document.createElement("div");
    fromBrowser.append(...md.markdownNodes(text));
    if (!fromServer.isEqualNode(fromBrowser)) {
      problems.push({
        index, step: "render", server: fromServer.innerHTML, browser: fromBrowser.innerHTML,
      });
      return;
    }
    md.enhanceBody(fromServer);
    const streamed = document.createElement("div");
    const memory = {};
    // Rendered as a stream would be: growing a few characters at a time, then in full.
    const points = Array.from(text);
    for (let end = 0; end < points.length; end += 7) {
      md.renderInto(streamed, points.slice(0, end).join(""), memory);
    }
    md.renderInto(streamed, text, memory);
    if (!fromServer.isEqualNode(streamed)) {
      problems.push({
        index, step: "enhanced", server: fromServer.innerHTML, browser: streamed.innerHTML,
      });
    }
  });
  return problems;
}
"""


def test_the_browser_renders_every_sample_exactly_as_the_server(
    base_url: str, open_page: OpenPage
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = ChatSession.objects.create(owner=alice, title="Samples")
    page = open_page()
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    server = [render_assistant_markdown(text) for text in CORPUS]
    problems: list[dict[str, Any]] = page.evaluate(COMPARE, {"samples": CORPUS, "server": server})
    assert problems == []


def test_unsafe_samples_stay_inert_in_the_browser(base_url: str, open_page: OpenPage) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = ChatSession.objects.create(owner=alice, title="Samples")
    page = open_page()
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    found = page.evaluate(
        """async (samples) => {
          const chat = document.querySelector('script[src*="/chat."]').src;
          const md = await import(new URL("markdown.js", chat).href);
          const box = document.createElement("div");
          for (const text of samples) box.append(...md.markdownNodes(text));
          const bad = [];
          for (const el of box.querySelectorAll("*")) {
            if (["SCRIPT", "IMG", "IFRAME", "DIV"].includes(el.tagName)) bad.push(el.tagName);
            for (const attr of el.attributes) if (attr.name.startsWith("on")) bad.push(attr.name);
            const href = (el.getAttribute("href") || "").replace(/[\\t\\n\\r]/g, "").toLowerCase();
            if (/^(javascript|data|vbscript|file|tel|ftp):/.test(href)) bad.push(href);
          }
          return bad;
        }""",
        CORPUS,
    )
    assert found == []


MARKDOWN_REPLY = (
    "## Plan\n\n| Step | Owner |\n|:--|--:|\n| Draft **text** | Ana |\n| Review | 李 |\n\n"
    "1. First\n2. Second with `code`\n   - nested\n\n"
    "```python\nfor n in range(3):\n    print(n, 'é')\n```\n\n"
    "> Quote with a [link](https://example.com) and ~~old~~ new text 🎉 [steady]"
)


@at_desktop_and_dark_phone
def test_a_streamed_reply_does_not_move_when_it_completes(
    base_url: str, open_page: OpenPage, fake_openai: Any, looks: dict[str, Any]
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = ChatSession.objects.create(owner=alice)
    page = open_page(**looks)
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    expect(page.locator("html")).to_have_attribute("data-live", "open")
    page.fill("#composer textarea", MARKDOWN_REPLY)
    page.click("#composer [data-role=send]")
    reply = page.locator(".message.assistant")
    expect(reply).to_have_attribute("data-status", "streaming", timeout=15_000)
    # Mark the streaming body (a property, not an attribute: the DOM stays as it is), and count
    # how often it is re-rendered.
    page.evaluate(
        """() => {
          const body = document.querySelector('.message.assistant .body');
          body.streamedHere = true;
          window.renders = 0;
          new MutationObserver(() => { window.renders += 1; })
            .observe(body, { childList: true, subtree: true, characterData: true });
        }"""
    )
    expect(reply).to_have_attribute("data-status", "done", timeout=15_000)
    # The body that was streamed is still the one shown: the last streamed render was the
    # same DOM as the finished reply's (chat.js keeps it only then).
    page.wait_for_function("document.querySelector('.message.assistant .tools:not([hidden])')")
    assert page.evaluate("document.querySelector('.message.assistant .body').streamedHere") is True
    assert page.evaluate("window.renders") > 3
    expect(reply.locator(".body table td[align=right]").first).to_have_text("Ana")
    expect(reply.locator(".body .code-block .hljs-keyword").first).to_have_text("for")
    streamed_html = reply.locator(".body").inner_html()
    final = ChatMessage.objects.for_user(alice).get(role="assistant")
    assert final.content.startswith("Echo: ## Plan")

    page.reload()
    reloaded = page.locator(".message.assistant .body")
    expect(reloaded.locator("table")).to_be_visible()
    assert reloaded.inner_html() == streamed_html
