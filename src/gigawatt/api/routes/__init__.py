"""The API's route modules, one per capability; :data:`API_ROUTES` registers them.

To add a capability (say ``train``): write ``routes/train.py`` with
``router = APIRouter(tags=["train"])`` and its routes (parse the CLI's inputs, call the
library function through ``service.compute``, return the CLI's ``--json`` keys), then
add ``train`` to the import line and to :data:`API_ROUTES` below. Each router is
mounted under ``/api``.
"""

from gigawatt.api.routes import catalog, info, plan, runs, scenarios

API_ROUTES = (info.router, plan.router, catalog.router, scenarios.router, runs.router)
"""The routers mounted under ``/api``, in the OpenAPI document's order."""
