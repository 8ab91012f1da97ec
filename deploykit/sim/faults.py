"""Injected server faults for reliability tests: added latency, error answers, short-lived watches.

Owns the fault options and the aiohttp middleware that applies them: every
resource request waits `latency` seconds more, and a `error_rate` fraction of
them is answered with one of `error_codes` (429 TooManyRequests with
Retry-After, 500 InternalError, 503 ServiceUnavailable) as real Status bodies,
before anything is read or written. Discovery, OpenAPI and /version are spared
unless `include_discovery` is set, so clients can still start. Closing watches
early is `watching.Options.close_after`. Must not change objects.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from typing import Any, Awaitable, Callable

from aiohttp import web

from deploykit.sim import rest, statuses

ERROR_CODES = (429, 500, 503)


@dataclasses.dataclass
class Faults:
    latency: float = 0.0
    error_rate: float = 0.0
    error_codes: tuple[int, ...] = ERROR_CODES
    retry_after: int = 1
    watch_close_after: float | None = None
    include_discovery: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        unknown = [c for c in self.error_codes if c not in ERROR_CODES]
        if unknown:
            raise ValueError(f"error codes {unknown} are not injectable; choose from {list(ERROR_CODES)}")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError(f"error rate {self.error_rate} is not between 0 and 1")
        if self.latency < 0:
            raise ValueError(f"latency {self.latency} is negative")

    @property
    def active(self) -> bool:
        return self.latency > 0 or self.error_rate > 0


def injected(code: int, retry_after: int) -> statuses.ApiError:
    if code == 429:
        return statuses.too_many_requests(retry_after)
    if code == 503:
        return statuses.unavailable("the server is currently unable to handle the request (injected fault)")
    return statuses.internal("injected fault")


def _is_discovery(path: str) -> bool:
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] in ("version", "openapi", "healthz", "readyz", "livez"):
        return True
    if parts[0] == "api":
        return len(parts) <= 2
    return parts[0] == "apis" and len(parts) <= 3


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def middleware(faults: Faults) -> Any:
    rng = random.Random(faults.seed)

    @web.middleware
    async def inject(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not faults.include_discovery and _is_discovery(request.path):
            return await handler(request)
        if faults.latency:
            await asyncio.sleep(faults.latency)
        if faults.error_rate and rng.random() < faults.error_rate:
            return rest.error_response(injected(rng.choice(faults.error_codes), faults.retry_after))
        return await handler(request)

    return inject
