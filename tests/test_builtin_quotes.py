"""A file passage the built-in assistant quotes stays inside its quote, whatever it holds, and
nothing in it becomes Markdown: checked on the HTML a reader gets."""

import lxml.html
import pytest

from chats.providers.base import Passage, PromptMessage
from chats.providers.builtin import compose_reply
from chats.rendering import render_assistant_markdown

TRICKY = """# Fire safety 🔥

Leave by the *nearest* exit; see [the map](http://example.com/map) or ![a plan](x.png).

  - Don't use the lift
  + Meet at point B
1. Call 112
2) Wait

> Quoted in the file
    indented like code
```
fenced
```
| Floor | Exit |
|---|---|
| 1 | East |
Setext heading
===
---
***
<b>bold?</b> &amp; &copy; `tick` ~~gone~~ a_b_c \\ end\\
Überschrift — 見出し"""


def _rendered(*passages: Passage) -> lxml.html.HtmlElement:
    text = compose_reply([PromptMessage(role="user", content="fire exits")], list(passages))
    return lxml.html.fragment_fromstring(render_assistant_markdown(text), create_parent="div")


def _lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_every_line_of_a_passage_stays_in_one_quote_as_plain_text() -> None:
    reply = _rendered(Passage(file_id=1, file_name="safety.md", text=TRICKY, chunk_index=0))
    [quote] = reply.findall("blockquote")
    # Only paragraphs and soft line breaks inside: no heading, list, link, image, code, rule,
    # table, emphasis or HTML of the file's.
    assert {element.tag for element in quote.iter()} <= {"blockquote", "p", "br"}
    assert not reply.xpath("//h1|//h2|//ul|//ol|//a|//img|//pre|//code|//hr|//table|//b")
    # The text reads as the file does, line for line.
    assert _lines_of(quote.text_content()) == _lines_of(TRICKY)


def test_blank_lines_keep_a_passage_in_its_quote() -> None:
    reply = _rendered(
        Passage(
            file_id=1, file_name="a.txt", text="First part.\n\n\n\nSecond part.", chunk_index=0
        ),
        Passage(file_id=2, file_name="b.txt", text="Another file.", chunk_index=0),
    )
    first, second = reply.findall("blockquote")
    assert [p.text_content() for p in first.findall("p")] == ["First part.", "Second part."]
    assert second.text_content().strip() == "Another file."


@pytest.mark.parametrize("name", ["my_notes_v2*.md", "[draft] <plan>.txt", "# title.md"])
def test_a_file_name_is_shown_as_it_is(name: str) -> None:
    reply = _rendered(Passage(file_id=1, file_name=name, text="Some text.", chunk_index=0))
    [source] = [p for p in reply.findall("p") if "from" in p.text_content()]
    assert source.text_content() == f"— from {name} [1]"
    assert [element.tag for element in source.iter()] == ["p", "em"]
