"""The HTTP service and dashboard (``gigawatt serve``): a thin adapter over the library.

Needs the ``serve`` extra (FastAPI, uvicorn); ``import gigawatt`` never imports this.
"""

from gigawatt.api.app import create_app
from gigawatt.api.settings import ServiceSettings

__all__ = ["ServiceSettings", "create_app"]
