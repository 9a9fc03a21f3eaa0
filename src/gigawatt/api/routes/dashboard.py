"""The dashboard: one HTML page, its script and style, and plotly.js, all served locally.

The page reads only the JSON API. plotly.js is the copy inside the installed plotly
package, so nothing is fetched from the internet.
"""

from __future__ import annotations

import functools
import gzip
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Header
from fastapi.responses import FileResponse, Response

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
PLOTLY_JS = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))

router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"])
def dashboard() -> FileResponse:
    """The dashboard page."""
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@functools.cache
def _plotly_gzip() -> bytes:
    # 4.6 MB of script is about 1.4 MB compressed: compressed once, on first request.
    return gzip.compress(PLOTLY_JS.read_bytes(), compresslevel=6, mtime=0)


@router.api_route("/assets/plotly.min.js", methods=["GET", "HEAD"])
def plotly_js(accept_encoding: str = Header("")) -> Response:
    """plotly.js from the installed plotly package, gzip-compressed if the browser takes it."""
    headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
    if "gzip" in accept_encoding:
        return Response(_plotly_gzip(), media_type="text/javascript",
                        headers={**headers, "Content-Encoding": "gzip"})
    return FileResponse(PLOTLY_JS, media_type="text/javascript", headers=headers)
