"""docs/SECURITY.md names the test behind each guarantee: every one it names must exist, so a
renamed or deleted test cannot leave a guarantee silently unproven."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"`(test_\w+\.py)::(test_\w+)`")


def test_every_test_the_security_page_names_exists() -> None:
    named = set(REFERENCE.findall((ROOT / "docs" / "SECURITY.md").read_text()))
    assert len(named) >= 100
    missing = [
        f"{file}::{test}"
        for file, test in sorted(named)
        if not re.search(rf"^(async )?def {test}\(", (ROOT / "tests" / file).read_text(), re.M)
    ]
    assert missing == []
