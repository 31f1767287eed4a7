"""SIGTERM (and SIGINT) as a request, honoured between optimizer steps (or tokens, when serving)."""

from __future__ import annotations

import signal
import threading


class StopSignal:
    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None

    @classmethod
    def install(cls) -> StopSignal:
        stop = cls()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, stop._handle)
        return stop

    def _handle(self, signum, _frame) -> None:
        self.request(signal.Signals(signum).name)

    def request(self, reason: str = "SIGTERM") -> None:
        if self.reason is None:
            self.reason = reason
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)
