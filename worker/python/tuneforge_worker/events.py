"""The worker's events: one JSON object per line on stdout, nothing else there (docs/WORKER_PROTOCOL.md).

Libraries print: transformers warns, a C extension may write to fd 1. So that stdout carries only events,
:meth:`EventSink.install` keeps a private duplicate of the original stdout for events and points fd 1 (and
``sys.stdout``) at stderr. With several training processes only rank 0 reports; the others get a sink that
drops everything.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
from typing import IO, Any


class EventSink:
    def __init__(self, out: IO[str] | None):
        self._out = out
        self._lock = threading.Lock()

    @classmethod
    def install(cls, enabled: bool = True) -> EventSink:
        """Takes over the process's stdout for events (see the module comment)."""
        sys.stdout.flush()
        events_fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        if not enabled:
            os.close(events_fd)
            return cls(None)
        return cls(os.fdopen(events_fd, "w", encoding="utf-8", buffering=1))

    @classmethod
    def to(cls, out: IO[str]) -> EventSink:
        return cls(out)

    @classmethod
    def silent(cls) -> EventSink:
        return cls(None)

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        """Writes ``{"event": event, **fields}`` (fields that are None are left out) and flushes it."""
        body = {"event": event}
        body.update({k: _finite(v) for k, v in fields.items() if v is not None})
        if self._out is not None:
            line = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            with self._lock:
                self._out.write(line + "\n")
                self._out.flush()
        return body


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: a diverged loss is reported as null rather than breaking the line."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
