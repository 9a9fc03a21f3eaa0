"""How long library work reports how far it has got, without printing anything itself.

A long function (a sweep, a Monte Carlo simulation) takes an optional ``progress`` callback
and calls it with ``(done, total)`` as work completes; the CLI turns the calls into a bar on
stderr (``gigawatt.cli.shared.progress_bar``), the library and the API pass nothing.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]
"""``progress(done, total)``: ``done`` of ``total`` units of work (samples, trials) finished."""
