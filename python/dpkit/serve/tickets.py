"""One-time download links: ``/download/<ticket>`` serves one file once, within ``ttl`` seconds.

Browsers cannot add the Authorization header to a link or to an iframe's source, so the UI asks
the API (authenticated, access-checked) for a link and opens it at once. A ticket is 256 random
bits, kept in memory only, bound to one file; it is never logged.
"""

from __future__ import annotations

import secrets
import threading
import time


class Tickets:
    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._tickets: dict[str, tuple[str, str, float]] = {}

    def issue(self, path: str, name: str) -> str:
        ticket = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._tickets = {t: v for t, v in self._tickets.items() if v[2] > now}
            self._tickets[ticket] = (path, name, now + self.ttl)
        return ticket

    def redeem(self, ticket: str) -> tuple[str, str] | None:
        """(path, name) of a valid ticket, which is then used up; None otherwise."""
        with self._lock:
            entry = self._tickets.pop(ticket, None)
        if entry is None or entry[2] < time.monotonic():
            return None
        return entry[0], entry[1]
