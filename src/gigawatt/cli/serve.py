"""`gigawatt serve`: the JSON API and the dashboard over HTTP."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from gigawatt.cli.shared import app
from gigawatt.errors import GigawattError


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(
        "--host", help="Address to listen on. Off loopback, writes need $GIGAWATT_TOKEN.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    allowed_host: Annotated[list[str] | None, typer.Option(
        "--allowed-host", help="A Host name to answer besides loopback and --host "
                               "(repeatable; '*' for any).")] = None,
) -> None:
    """Serve the JSON API and the dashboard (http://HOST:PORT/)."""
    try:
        from gigawatt.api import ServiceSettings
        from gigawatt.api.server import serve
    except ImportError as exc:
        raise GigawattError(f"gigawatt serve needs the 'serve' extra ({exc.name} is missing); "
                            "accepted: pip install 'gigawatt[serve]'") from None

    settings = ServiceSettings.from_env(host, port, tuple(allowed_host or ()))
    if settings.token_required and settings.token is None:
        sys.stderr.write(f"gigawatt: warning: listening on {host} without GIGAWATT_TOKEN: "
                         "computing and saving are disabled\n")
    shown = f"[{host}]" if ":" in host else host
    sys.stderr.write(f"gigawatt: dashboard at http://{shown}:{port}/ "
                     f"(API under /api, OpenAPI at /openapi.json)\n")
    serve(settings)
