"""The signature Jira puts on a webhook registered with a secret (Cloud admin webhooks and
Data Center alike): ``X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` (WebSub's
``method=signature``). The body is checked as received, before any JSON parsing."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "x-hub-signature"
ALGORITHM = "sha256"


def sign(secret: str, body: bytes) -> str:
    """The header value Jira sends for ``body``."""
    return f"{ALGORITHM}=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` signs ``body`` with ``secret``; False for a missing, malformed or
    other-algorithm header alike (the caller answers all of them the same way)."""
    if not secret:
        raise ValueError("an empty webhook secret would verify anything")
    if not header:
        return False
    algorithm, sep, digest = header.strip().partition("=")
    if not sep or algorithm.strip().lower() != ALGORITHM:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())
