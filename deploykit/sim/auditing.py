"""The request audit: every request the simulator answered, for tests and benchmarks that count writes.

Owns `Audit` (a bounded log of method, path, dry run and user agent per
request) and its aiohttp middleware. A write is a POST, PUT, PATCH or DELETE
that is not a dry run; `writes(agent=...)` counts those of one client (by
User-Agent prefix, e.g. `deploykit/`), so a test can prove that a no-op
upgrade sends no write.

Must not: keep request bodies or headers other than the User-Agent.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Awaitable, Callable

from aiohttp import web

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclasses.dataclass(frozen=True)
class Entry:
    method: str
    path: str
    dry_run: bool
    agent: str

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS and not self.dry_run


class Audit:
    """The last `limit` requests, oldest first."""

    def __init__(self, limit: int = 200_000) -> None:
        self.entries: collections.deque[Entry] = collections.deque(maxlen=limit)

    def writes(self, *, agent: str = "") -> list[Entry]:
        return [e for e in list(self.entries) if e.is_write and e.agent.startswith(agent)]

    def clear(self) -> None:
        self.entries.clear()

    def middleware(self) -> Callable:
        @web.middleware
        async def audit(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
            self.entries.append(Entry(request.method, request.path, "dryRun" in request.query,
                                      request.headers.get("User-Agent", "")))
            return await handler(request)

        return audit
