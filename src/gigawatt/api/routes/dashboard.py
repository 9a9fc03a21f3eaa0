"""The dashboard: one HTML page, its script and style, and plotly.js, all served locally.

The page reads only the JSON API. plotly.js is the copy inside the installed plotly
package, so nothing is fetched from the internet.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
PLOTLY_JS = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))

router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"])
def dashboard() -> FileResponse:
    """The dashboard page."""
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@router.api_route("/assets/plotly.min.js", methods=["GET", "HEAD"])
def plotly_js() -> FileResponse:
    """plotly.js from the installed plotly package."""
    return FileResponse(PLOTLY_JS, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})
