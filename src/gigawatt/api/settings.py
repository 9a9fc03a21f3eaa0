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
    timeout_s : the longest a computation may take, s (503 beyond it).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    store_path: Path | None = None
    max_body_bytes: int = 1 << 20
    timeout_s: float = 30.0

    @classmethod
    def from_env(cls, host: str = "127.0.0.1", port: int = 8000) -> ServiceSettings:
        """Settings for ``gigawatt serve``: the token from ``$GIGAWATT_TOKEN``."""
        return cls(host=host, port=port, token=os.environ.get(TOKEN_ENV) or None)

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
        """Whether write endpoints ask for the token."""
        return not self.loopback
