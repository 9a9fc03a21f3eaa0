"""The plan's tables as columns and formatted rows, shared by the HTML report and the
dashboard (``GET /api/runs/{id}/view``), so both show the same cells.

Each function takes a plan's JSON document (``PlanResult.to_dict()`` or a stored run's
result) and returns ``(columns, rows)``: column titles, and rows of strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gigawatt.catalog.sources import Source, bibliography, resolve
from gigawatt.report import format as fmt
from gigawatt.report.terminal import site_table_rows

Table = tuple[list[str], list[list[str]]]

URL = re.compile(r"https?://[^\s;,()<>\"']+[^\s;,()<>\"'.]")
"""An http(s) address inside a source text (a trailing full stop is not part of it)."""
CITATION = re.compile(r"(?P<url>" + URL.pattern + r")|(?<![A-Za-z0-9])(?P<sid>S\d{1,3})"
                      r"(?![0-9A-Za-z])")
"""An address or an S-number of the bibliography (``gigawatt catalog sources``)."""

TIMELINE_COLUMNS = ["period", "added", "facility GW", "IT GW", "racks", "GPUs", "dies",
                    "domains", "FP4 EF/s", "FP8 EF/s", "BF16 EF/s", "HBM PB", "capex",
                    "investment", "opex/yr", "TWh/yr", "$/GPU-h"]


def timeline_table(r: Mapping[str, Any]) -> Table:
    """Power, equipment and compute at the end of each half-year; money in the period."""
    rows = [
        [t["period"], fmt.systems(t["system_added"]), fmt.num(t["facility_gw"]),
         fmt.num(t["it_gw"]), fmt.count(t["racks"]), fmt.count(t["gpus"]),
         fmt.count(t["gpu_dies"]), fmt.count(t["nvlink_domains"]), fmt.num(t["fp4_eflops"], 0),
         fmt.num(t["fp8_eflops"], 0), fmt.num(t["bf16_eflops"], 0), fmt.num(t["hbm_pb"], 0),
         fmt.usd(t["capex_usd"]), fmt.usd(t["investment_usd"]), fmt.usd(t["opex_usd_per_year"]),
         fmt.num(t["energy_twh_per_year"], 1), fmt.usd(t["usd_per_gpu_hour"])]
        for t in r["timeline"]
    ]
    return list(TIMELINE_COLUMNS), rows


def claims_table(r: Mapping[str, Any]) -> Table:
    """Each announced figure beside the model's, with the verdict (column 4) and source."""
    rows = [[c["claim"], c["who"], fmt.claimed_range(c), fmt.claimed(c, "model"),
             c["verdict"], _why(c), c["source"]] for c in r.get("claims", [])]
    return ["claim", "who", "claimed", "model", "verdict", "why", "source"], rows


def _why(c: Mapping[str, Any]) -> str:
    """The claim's words verbatim, how the model reads them, and why the two differ."""
    return " ".join(x for x in (f'"{c["quote"]}"' if c.get("quote") else "",
                                f"Reading: {c['reading']}." if c.get("reading") else "",
                                c["reason"]) if x)


VERDICT_COLUMN = 4
"""The claims table's verdict column: the one cell of a claim row that is coloured."""


def verdict_class(verdict: str) -> str:
    """The CSS class of a verdict cell: ``within``, ``below``, ``above``, ``not-reached``."""
    return verdict.replace(" ", "-")


def tranches_table(r: Mapping[str, Any]) -> Table:
    """Investment tranches: threshold, amount and when it is released."""
    rows = [[fmt.num(t["threshold_gw"], 1), fmt.usd(t["amount_usd"]),
             t["release_date"] or "not reached"] for t in r.get("tranches", [])]
    return ["threshold GW", "amount", "released"], rows


def assumptions_table(r: Mapping[str, Any]) -> Table:
    """Every number the plan rests on beyond the announcement, with status and source."""
    rows = [[a["field"], fmt.value(a["value"]), a["status"], a["origin"], a["source"] or ""]
            for a in r.get("assumptions", [])]
    return ["field", "value", "status", "from", "source or note"], rows


def sites_table(r: Mapping[str, Any]) -> Table:
    """An optimised plan's racks added per site and half-year (no rows for a ramp)."""
    return (["site", "period", "power MW", "used MW", "racks added", "GPUs"],
            [list(row) for row in site_table_rows(r)])


def binding_table(r: Mapping[str, Any]) -> Table:
    """The limits that bind an optimised plan, worth most first."""
    rows = [[b["text"], b["constraint"], b["where"] or "-", b["period"] or "-"]
            for b in r.get("binding") or []]
    return ["limit", "kind", "where", "when"], rows


def split_links(text: str) -> list[tuple[str, Source | None]]:
    """``text`` cut into ``(piece, source)`` pieces: each address and each S-number the
    bibliography holds comes with the :class:`Source` to link it to, other text with None."""
    known = bibliography()
    out: list[tuple[str, Source | None]] = []
    at = 0
    for m in CITATION.finditer(text):
        piece = m.group(0)
        if m.group("url"):
            source: Source | None = Source(piece, piece, "", None, piece)
        else:
            source = known.get(piece)
        if source is None:
            continue
        if m.start() > at:
            out.append((text[at:m.start()], None))
        out.append((piece, source))
        at = m.end()
    if at < len(text):
        out.append((text[at:], None))
    return out


def sources_table(r: Mapping[str, Any]) -> Table:
    """Every source the plan's claims and assumptions cite, in order of first citation."""
    texts = [c["source"] for c in r.get("claims", [])]
    texts += [a["source"] for a in r.get("assumptions", []) if a["source"]]
    seen: dict[str, Source] = {}
    for text in texts:
        for source in resolve(text):
            seen.setdefault(source.id, source)
    rows = [[s.id, s.title, s.publisher, s.date or "-", s.url] for s in seen.values()]
    return ["id", "title", "publisher", "date", "address"], rows
