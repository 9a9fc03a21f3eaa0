"""The bibliography ships in the package: every citation in the built-in data resolves, and
the rows equal the project's fact base where it is present beside the repository."""

import re
from pathlib import Path

import pytest

from gigawatt.catalog.loader import data_dir
from gigawatt.catalog.sources import bibliography, cited_ids, get, resolve, unresolved
from gigawatt.errors import CatalogError

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "gigawatt"
DATA_FILES = sorted(p for d in ("catalog", "scenario", "estimates")
                    for p in (PACKAGE / d / "data").glob("*.yaml") if p.name != "sources.yaml")
FACTS = Path(__file__).resolve().parents[2] / "shared" / "facts" / "hardware.md"


def test_every_row_has_the_fields():
    rows = bibliography()
    assert len(rows) >= 100
    for sid, s in rows.items():
        assert s.id == sid and s.title and s.publisher and s.url.startswith("http")
        assert s.date is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", s.date)


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_every_citation_in_the_data_resolves(path):
    """Comments, sources and notes alike: an S-number nothing resolves fails here."""
    text = path.read_text(encoding="utf-8")
    assert not unresolved(text), f"{path.name} cites {unresolved(text)}, not in sources.yaml"


def test_the_data_needs_no_file_outside_the_repository():
    for path in DATA_FILES:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "hardware.md" not in text, path.name
        assert "DESIGN.md" not in text, path.name


def test_catalog_citations_resolve_to_links(catalog):
    _, vr = catalog.entry("vr-nvl72")
    ids = [s.id for s in resolve(vr.source)]
    assert "S22" in ids and "S105" in ids
    assert all(s.url.startswith("http") for s in resolve(vr.source))


def test_ranges_and_product_codes():
    assert cited_ids("S98-S100; S5 and S5") == ["S98", "S99", "S100", "S5"]
    assert cited_ids("NVIDIA MMA4Z00-NS400 at 400 Gb/s; S400x") == []
    assert resolve(None) == [] and resolve("no citation here") == []


def test_bare_addresses_become_sources_and_copies_are_not_repeated():
    got = resolve("S99; https://fintool.com/news/openai-600b-compute-reset ; https://a.example/x.")
    assert [s.id for s in got] == ["S99", "https://a.example/x"]
    assert got[1].publisher == "a.example"


def test_unknown_id_is_one_line():
    with pytest.raises(CatalogError, match="unknown source id 'S999'; accepted: S1, S10"):
        get("S999")
    assert get("s14").id == "S14"


def test_every_cited_id_is_in_the_package_data_folder():
    assert (data_dir() / "sources.yaml").is_file()


@pytest.mark.skipif(not FACTS.is_file(), reason="no ../shared/facts beside this clone")
def test_the_rows_follow_the_fact_base():
    """Same S-numbers and the same addresses as the fact base's source list."""
    listed = {}
    for line in FACTS.read_text(encoding="utf-8").split("## Sources", 1)[1].splitlines():
        m = re.match(r"- (S\d+) (.*)", line)
        if m:
            listed[m.group(1)] = re.findall(r"https?://[^\s;]+", m.group(2))
    rows = bibliography()
    assert sorted(rows) == sorted(listed)
    for sid, urls in listed.items():
        assert [rows[sid].url, *rows[sid].also] == urls, sid
