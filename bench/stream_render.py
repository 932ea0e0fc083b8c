"""What formatting a streaming reply costs in the browser, per animation frame.

Chromium renders a long Markdown reply (prose, lists, a table, code) growing the way a stream
does, through static/js/markdown.js (markdown-it, the allow-list, highlighting, and patching
only the blocks that changed), against the baseline of showing the same text unformatted
(setting textContent), as the page did before. A frame at 60 Hz lasts 16.7 ms.
"""

import functools
import http.server
import statistics
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
STEPS = 400  # renders per run, the reply growing by an equal share each time
ROUNDS = 3

PARAGRAPH = (
    "Streaming **Markdown** with `inline code`, a [link](https://example.com), *emphasis* "
    "and some plain words to make the paragraph as long as a model would write it. "
)
SECTION = (
    f"## Part {{n}}\n\n{PARAGRAPH * 3}\n\n- first point\n- second point with **bold**\n"
    "  1. nested\n  2. list\n\n| Column | Value |\n|:--|--:|\n| a | 1 |\n| b | 2 |\n\n"
    "```python\nfor item in range({n}):\n    print(item, 'value')\n```\n\n"
)
REPLY = "".join(SECTION.replace("{n}", str(n)) for n in range(12))  # about 9,000 characters

MEASURE = """
async ({ text, steps }) => {
  const md = await import("/js/markdown.js");
  const points = Array.from(text);
  const prefixes = Array.from({ length: steps }, (_, i) =>
    points.slice(0, Math.round(((i + 1) / steps) * points.length)).join(""));
  const formatted = document.createElement("div");
  const plain = document.createElement("div");
  document.body.append(formatted, plain);
  const memory = {};
  const times = { formatted: [], plain: [] };
  for (const prefix of prefixes) {
    let start = performance.now();
    md.renderInto(formatted, prefix, memory);
    formatted.getBoundingClientRect(); // include layout, as a frame would
    times.formatted.push(performance.now() - start);
    start = performance.now();
    plain.textContent = prefix;
    plain.getBoundingClientRect();
    times.plain.push(performance.now() - start);
  }
  formatted.remove();
  plain.remove();
  return times;
}
"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def main() -> None:
    handler = functools.partial(QuietHandler, directory=str(ROOT / "static"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    formatted: list[float] = []
    plain: list[float] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"{base}/js/")  # any HTML page of that origin, for the import
            for _ in range(ROUNDS):
                times = page.evaluate(MEASURE, {"text": REPLY, "steps": STEPS})
                formatted += times["formatted"]
                plain += times["plain"]
            browser.close()
    finally:
        server.shutdown()
    for name, samples in (("formatted (ours)", formatted), ("plain text (baseline)", plain)):
        ordered = sorted(samples)
        print(
            f"{name:22} median {statistics.median(samples):6.2f} ms   "
            f"p95 {ordered[int(len(ordered) * 0.95)]:6.2f} ms   max {ordered[-1]:6.2f} ms"
        )
    print(
        f"reply of {len(REPLY):,} characters rendered {STEPS} times per round, {ROUNDS} rounds; "
        f"median ratio {statistics.median(formatted) / max(statistics.median(plain), 1e-6):.1f}x"
    )


if __name__ == "__main__":
    main()
