"""Route table and per-request context for the REST handlers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .render import Renderer

if TYPE_CHECKING:
    from .accounts import Account
    from .emulator import JiraEmulator
    from .model import State
    from .ops import Domain


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-able; None means an empty body
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    emu: JiraEmulator
    version: str  # "2" | "3"
    account: Account
    query: dict[str, list[str]]
    body: Any
    now_ms: int
    base: str

    @property
    def state(self) -> State:
        return self.emu.state

    @property
    def domain(self) -> Domain:
        return self.emu.domain

    @property
    def cloud(self) -> bool:
        return self.emu.mode == "cloud"

    @property
    def tz(self) -> str:
        return self.account.time_zone or self.emu.timezone

    @property
    def actor(self) -> str:
        return self.account.name

    def renderer(self) -> Renderer:
        r = getattr(self, "_renderer", None)
        if r is None:
            r = Renderer(
                self.state,
                self.emu.accounts,
                base=self.base,
                version=self.version,
                cloud=self.cloud,
                tz=self.tz,
                default_tz=self.emu.timezone,
                viewer=self.account,
            )
            self._renderer = r
        return r

    def q(self, name: str, default: str | None = None) -> str | None:
        vals = self.query.get(name)
        return vals[0] if vals else default

    def q_int(self, name: str, default: int) -> int:
        raw = self.q(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, [f"The '{name}' parameter must be a number."]) from None

    def q_list(self, name: str) -> list[str]:
        """Comma-separated and/or repeated parameter (``fields=a,b&fields=c``)."""
        return [t.strip() for v in self.query.get(name, []) for t in v.split(",") if t.strip()]

    def q_bool(self, name: str, default: bool = False) -> bool:
        raw = self.q(name)
        return default if raw is None else raw.lower() == "true"

    def json_body(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise ApiError(400, ["Request body must be a JSON object."])
        return self.body


Handler = Callable[..., Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    write: bool
    cloud_only: bool
    server_only: bool
    anonymous: bool


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        path: str,
        *,
        write: bool | None = None,
        cloud_only: bool = False,
        server_only: bool = False,
        anonymous: bool = False,
    ) -> Callable[[Handler], Handler]:
        # "/issue/{issue}/comment/{id}" -> named groups matching one path segment
        rx = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "/?$")
        is_write = method != "GET" if write is None else write

        def deco(fn: Handler) -> Handler:
            self.routes.append(Route(method, rx, fn, is_write, cloud_only, server_only, anonymous))
            return fn

        return deco

    def match(self, method: str, sub: str, cloud: bool) -> tuple[Route | None, dict[str, str], bool]:
        """Returns (route, params, path_exists_for_other_method)."""
        other = False
        for r in self.routes:
            if (r.cloud_only and not cloud) or (r.server_only and cloud):
                continue
            m = r.pattern.match(sub)
            if m:
                if r.method == method:
                    return r, m.groupdict(), True
                other = True
        return None, {}, other


router = Router()
