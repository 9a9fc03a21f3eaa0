"""What the service is told when it starts: where it listens, its token and its limits."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

TOKEN_ENV = "GIGAWATT_TOKEN"


@dataclass(frozen=True)
class ServiceSettings:
    """Settings of one app instance.

    Attributes
    ----------
    host : the address the server listens on; writes need the token unless it is loopback.
    port : the TCP port, for the start-up message.
    token : the shared secret for writes (``$GIGAWATT_TOKEN``); ``None`` disables writes
        on a non-loopback address.
    store_path : the run store file; ``None`` is the CLI's default store.
    max_body_bytes : the largest request body accepted, bytes (413 beyond it).
    timeout_s : the longest a computation may take, s (503 beyond it; the worker process
        running it is killed).
    wait_s : the longest a computation may wait for a free worker, s (503 beyond it).
    compute_workers : the most computations running at once, each in its own process.
    max_waiting : the most computations waiting for a worker; more get 503 at once.
    worker_memory_bytes : the address space one worker may use, bytes (``None``: no limit).
    allowed_hosts : Host header names answered besides the loopback names and ``host``
        itself (``"*"``: any; behind a proxy, its public name).
    header_timeout_s : the longest a client may take to send a request's headers, s.
    body_timeout_s : the longest a client may take to send a request's body, s (408).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    store_path: Path | None = None
    max_body_bytes: int = 1 << 20
    timeout_s: float = 30.0
    wait_s: float = 120.0
    compute_workers: int = max(1, min(8, os.cpu_count() or 1))
    max_waiting: int = 256
    worker_memory_bytes: int | None = 4 << 30
    allowed_hosts: tuple[str, ...] = ()
    header_timeout_s: float = 10.0
    body_timeout_s: float = 20.0

    @classmethod
    def from_env(cls, host: str = "127.0.0.1", port: int = 8000,
                 allowed_hosts: tuple[str, ...] = ()) -> ServiceSettings:
        """Settings for ``gigawatt serve``: the token from ``$GIGAWATT_TOKEN``."""
        return cls(host=host, port=port, token=os.environ.get(TOKEN_ENV) or None,
                   allowed_hosts=allowed_hosts)

    @property
    def host_names(self) -> frozenset[str]:
        """The Host header names answered (lower case, without the port)."""
        names = {"localhost", "127.0.0.1", "[::1]", *(h.lower() for h in self.allowed_hosts)}
        if self.host not in ("0.0.0.0", "::", ""):
            names.add(f"[{self.host.lower()}]" if ":" in self.host else self.host.lower())
        return frozenset(names)

    @property
    def loopback(self) -> bool:
        """Whether only this machine can reach the server (127.0.0.0/8, ::1, localhost)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:  # a host name other than localhost may resolve anywhere
            return False

    @property
    def token_required(self) -> bool:
        """Whether computing and writing endpoints ask for the token."""
        return not self.loopback
