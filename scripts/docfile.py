"""Write a generated document, or with ``--check`` say whether it is current (exit 1 if not)."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(doc: Path, text: str) -> int:
    """``--check``: 1 when ``doc`` differs from ``text`` (stale), else 0; otherwise write it."""
    if "--check" in sys.argv[1:]:
        if not doc.exists() or doc.read_text() != text:
            print(f"{doc} is stale: run 'make docs'", file=sys.stderr)
            return 1
        return 0
    doc.parent.mkdir(exist_ok=True)
    doc.write_text(text)
    print(f"wrote {doc}")
    return 0
