"""Give memory a large cycle freed back to the system, so an idle worker returns to its idle size.

CPython frees a cycle's objects as soon as the cycle lets go of them, but the C allocator
keeps the freed pages for reuse: a worker that once read thousands of issues would sit at
that size through every idle wait. ``malloc_trim`` (glibc) returns them. Only after large
cycles: a collection costs milliseconds, an idle cycle a few.
"""

from __future__ import annotations

import gc
from typing import Any

LARGE_CYCLE = 500  # issues seen

_libc: Any = None


def release_freed(issues_seen: int) -> None:
    global _libc
    if issues_seen < LARGE_CYCLE:
        return
    gc.collect()
    if _libc is None:
        import ctypes  # here, not at start-up: most workers never need it

        try:
            _libc = ctypes.CDLL("libc.so.6")
            _libc.malloc_trim  # noqa: B018 (glibc only)
        except (OSError, AttributeError):
            _libc = False  # not glibc (musl, macOS): nothing to trim
    if _libc:
        _libc.malloc_trim(0)
