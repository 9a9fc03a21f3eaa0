"""Docs that cannot drift: the CLI reference is regenerated and compared."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import gen_cli_docs  # noqa: E402


def test_cli_reference_is_current():
    assert (ROOT / "docs" / "cli.md").read_text() == gen_cli_docs.render(), (
        "docs/cli.md is stale: run 'make docs'")


def test_readme_quick_start_is_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    assert quick.split() == ["make", "plan", "make", "test"]


import gen_json_docs  # noqa: E402


def test_json_reference_is_current_and_holds_the_contract():
    text = gen_json_docs.render()  # raises when a contract key is missing from an output
    assert (ROOT / "docs" / "json.md").read_text() == text, (
        "docs/json.md is stale: run 'make docs'")
    for command, keys in gen_json_docs.CONTRACT.items():
        section = text.split(f"### {command}\n", 1)[1].split("###", 1)[0]
        for key in keys:
            assert f"| `{key}` |" in section and "contract" in section, (command, key)


def test_readme_and_docs_stand_alone():
    """Nothing points outside the repository: keys, facts and calibration are all inside."""
    for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        text = path.read_text()
        assert "../shared" not in text and "DESIGN.md" not in text, path.name
