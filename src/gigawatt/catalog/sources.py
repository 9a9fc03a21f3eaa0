"""The bibliography: the sources that catalog entries, scenarios and calibrated constants cite.

Citations are free text (a ``source`` field) naming sources by S-number, ``"S14, S54"`` or a
range ``"S97-S100"``, and sometimes by a bare address. :func:`resolve` turns such a text into
the :class:`Source` rows it names, so that the CLI, the HTML report and the dashboard all link
the same sources; the rows live in ``catalog/data/sources.yaml``, one per S-number.

>>> [s.id for s in resolve("Morgan Stanley BOM (S33); S97-S99")]
['S33', 'S97', 'S98', 'S99']
>>> resolve("S14")[0].url
'https://aiwiki.ai/wiki/nvidia_gb200_nvl72'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import Field

from gigawatt.errors import CatalogError
from gigawatt.validation import Frozen, validate
from gigawatt.yamlio import read_yaml

# An S-number stands alone: not part of a product code such as "MMA4Z00-NS400". A range
# "S97-S100" (hyphen or en dash) names every number between.
_CITE = re.compile(r"(?<![A-Za-z0-9])S(\d{1,3})(?:\s*[-–]\s*S(\d{1,3}))?(?![0-9A-Za-z])")
_URL = re.compile(r"https?://[^\s;,)\"'>]+")


class _Row(Frozen):
    id: str = Field(pattern=r"^S\d{1,3}$")
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    url: str = Field(pattern=r"^https?://")
    also: list[str] = Field(default_factory=list)
    note: str | None = None


@dataclass(frozen=True)
class Source:
    """One cited source.

    Attributes
    ----------
    id : ``"S22"``, or the address itself for a source cited only by its address
    title : the page's title (in [brackets]: a description, where it has none)
    publisher : the publisher, or the site's host name
    date : ISO date of publication, or ``None`` where unknown
    url : the address to link
    also : further copies of the same source
    """

    id: str
    title: str
    publisher: str
    date: str | None
    url: str
    also: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: ``id``, ``title``, ``publisher``, ``date``, ``url``, ``also``."""
        return {"id": self.id, "title": self.title, "publisher": self.publisher,
                "date": self.date, "url": self.url, "also": list(self.also)}


def sources_path() -> Path:
    """The bibliography file inside the package."""
    return Path(str(resources.files("gigawatt.catalog") / "data" / "sources.yaml"))


@functools.cache
def bibliography() -> dict[str, Source]:
    """Every source by S-number, in the file's order (read once per process, from the user
    cache, :func:`gigawatt.cache.memo`, while the file and the code are unchanged)."""
    from gigawatt.cache import memo

    return memo("bibliography", (), _read_bibliography)


def _read_bibliography() -> dict[str, Source]:
    path = sources_path()
    raw: Any = read_yaml(path, CatalogError)
    if not isinstance(raw, list):
        raise CatalogError(f"{path}: expected a list of sources, got {type(raw).__name__}")
    out: dict[str, Source] = {}
    for i, item in enumerate(raw):
        row = validate(_Row, item, str(path), CatalogError, prefix=(i,))
        if row.id in out:
            raise CatalogError(f"{path}: [{i}].id: {row.id!r} is already used in this file")
        out[row.id] = Source(row.id, row.title, row.publisher, row.date, row.url,
                             tuple(row.also))
    return out


def get(source_id: str) -> Source:
    """One source by S-number; a ``CatalogError`` listing the known IDs if there is none."""
    known = bibliography()
    key = source_id.strip().upper()
    if key not in known:
        ids = list(known)
        raise CatalogError(f"unknown source id {source_id!r}; accepted: {ids[0]} to {ids[-1]} "
                           "(gigawatt catalog sources lists them)")
    return known[key]


def cited_ids(text: str) -> list[str]:
    """The S-numbers a citation text names, ranges expanded, in order of first mention."""
    out: list[str] = []
    for m in _CITE.finditer(text):
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        for n in range(lo, max(lo, hi) + 1):
            if f"S{n}" not in out:
                out.append(f"S{n}")
    return out


def unresolved(text: str) -> list[str]:
    """The S-numbers a citation text names that the bibliography does not hold."""
    known = bibliography()
    return [i for i in cited_ids(text) if i not in known]


def resolve(text: str | None) -> list[Source]:
    """Every source a citation text names, in order of first mention.

    S-numbers (and ranges) become their bibliography rows; a bare ``http(s)://`` address
    becomes a :class:`Source` whose ``id`` and ``url`` are that address and whose publisher
    is its host. S-numbers the bibliography lacks are left out (see :func:`unresolved`; a test
    keeps the built-in data free of them). ``None`` or text without citations gives ``[]``.
    """
    if not text:
        return []
    known = bibliography()
    out = [known[i] for i in cited_ids(text) if i in known]
    listed = {u for s in out for u in (s.url, *s.also)}
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".")
        if url not in listed:
            listed.add(url)
            host = urlparse(url).netloc.removeprefix("www.")
            out.append(Source(url, url, host, None, url))
    return out
