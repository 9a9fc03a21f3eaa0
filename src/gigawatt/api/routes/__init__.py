"""The API's route modules, one per capability; :data:`API_ROUTES` registers them.

To add a capability (say ``buildout``): write ``routes/buildout.py`` with
``router = APIRouter(tags=["buildout"])`` and its routes (a request model whose fields are
the CLI's flags in snake case, the library function that makes the CLI's ``--json``
document called through ``service.answer``, as ``routes/train.py`` does), then add it to the
import line and to :data:`API_ROUTES` below. Each router is mounted under ``/api``.
"""

from gigawatt.api.routes import (
    catalog,
    editor,
    fabric,
    infer,
    info,
    plan,
    reliability,
    runs,
    scenarios,
    sources,
    sweep,
    train,
)

API_ROUTES = (info.router, plan.router, train.router, infer.router, fabric.router,
              reliability.router, sweep.router, catalog.router, scenarios.router, runs.router,
              editor.router, sources.router)
"""The routers mounted under ``/api``, in the OpenAPI document's order."""
