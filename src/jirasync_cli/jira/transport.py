"""A requests transport adapter: pacing, rate-limit handling and safe retries for every call.

The ``jira`` package's own retry (ResilientSession) waits about 2x Retry-After, retries
only 429/503 and knows nothing of other pairs on the site, so we switch it off
(``max_retries=0``) and do it here, below every call the library or we make:

* every request first takes a token from the site's pacer;
* 429, and 503 with ``Retry-After``, mean "not processed": pause the site for Retry-After
  and resend (any method);
* other 5xx and connection errors are retried with capped exponential backoff only for
  idempotent methods; a POST is never blindly resent (a create might have happened), the
  caller decides after checking.

It also reads Jira's clock from each response's ``Date`` header: watermarks come from
Jira's time, not ours.
"""

from __future__ import annotations

import random
import threading
import time
from email.utils import parsedate_to_datetime

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from requests.exceptions import ConnectionError, Timeout

from jirasync_cli.jira.pacing import Cancelled, SitePacer

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRYABLE_5XX = frozenset({500, 502, 503, 504})


class ServerClock:
    """Jira's clock as seen in ``Date`` headers (second precision)."""

    def __init__(self) -> None:
        self.offset: float | None = None
        self._local = threading.local()

    def observe(self, response: Response) -> None:
        header = response.headers.get("Date")
        if not header:
            return
        try:
            server = parsedate_to_datetime(header).timestamp()
        except (TypeError, ValueError):
            return
        self.offset = server - time.time()
        self._local.last = server

    def last_seen(self) -> float | None:
        """Date of the last response this thread received (epoch seconds)."""
        return getattr(self._local, "last", None)

    def now(self) -> float:
        return time.time() + (self.offset or 0.0)


def retry_after_seconds(response: Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class PacedAdapter(HTTPAdapter):
    def __init__(
        self,
        pacer: SitePacer,
        clock: ServerClock,
        *,
        attempts: int = 5,
        rate_limit_attempts: int = 8,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        pool_size: int = 16,
    ) -> None:
        super().__init__(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
        self.pacer = pacer
        self.clock = clock
        self.attempts = attempts
        self.rate_limit_attempts = rate_limit_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)

    def _sleep(self, seconds: float) -> None:
        if self.pacer.cancel.wait(seconds):
            raise Cancelled("shutting down during a Jira retry")

    def send(self, request: PreparedRequest, **kwargs) -> Response:  # type: ignore[override]
        idempotent = (request.method or "GET").upper() in IDEMPOTENT
        failures = limited = 0
        while True:
            self.pacer.acquire()
            try:
                response = super().send(request, **kwargs)
            except (ConnectionError, Timeout):
                failures += 1
                if idempotent and failures < self.attempts:
                    self._sleep(self._backoff(failures))
                    continue
                raise
            self.clock.observe(response)
            status = response.status_code
            retry_after = retry_after_seconds(response)
            if status == 429 or (status == 503 and retry_after is not None):
                limited += 1
                self.pacer.penalize(retry_after if retry_after is not None else self._backoff(limited))
                if limited < self.rate_limit_attempts:
                    response.close()
                    continue
                return response
            if status in RETRYABLE_5XX and idempotent:
                failures += 1
                if failures < self.attempts:
                    response.close()
                    self._sleep(self._backoff(failures))
                    continue
            if status < 400:
                self.pacer.reward()
            return response
