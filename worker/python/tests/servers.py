"""``python -m tuneforge_worker serve`` as a process, as a launcher runs it, and a plain HTTP client for it."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PYTHON_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    def events(self) -> list:
        """The JSON data of a server-sent event stream, which must end with ``data: [DONE]``."""
        data = [line[6:] for line in self.body.decode().split("\n") if line.startswith("data: ")]
        assert data and data[-1] == "[DONE]", self.body
        return [json.loads(d) for d in data[:-1]]


@dataclass
class RunningServer:
    process: subprocess.Popen
    serving: dict
    events: queue.Queue = field(default_factory=queue.Queue)
    logs: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, *options: str, cwd: Path | None = None, timeout: float = 120) -> RunningServer:
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(PYTHON_ROOT))
        process = subprocess.Popen([sys.executable, "-m", "tuneforge_worker", "serve", *options], cwd=cwd, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        events: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [events.put(json.loads(line)) for line in process.stdout], daemon=True).start()
        logs: list[str] = []  # stderr, kept for a failure's message rather than mixed into pytest's output
        threading.Thread(target=lambda: logs.extend(process.stderr), daemon=True).start()
        try:
            first = events.get(timeout=timeout)
        except queue.Empty:
            process.kill()
            raise AssertionError("serve printed no event:\n" + "".join(logs)) from None
        if first["event"] != "serving":
            process.wait(30)
            raise AssertionError(f"serve did not start: {first}\n" + "".join(logs))
        return cls(process, first, events, logs)

    @property
    def port(self) -> int:
        return self.serving["port"]

    def request(self, method: str, path: str, body: bytes | str | dict | None = None, timeout: float = 120,
                headers: dict | None = None) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, dict):
                body = json.dumps(body)
            connection.request(method, path, body=body, headers={"Content-Type": "application/json",
                                                                  **(headers or {})})
            r = connection.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            connection.close()

    def wait_for_log(self, pattern: str, timeout: float = 60) -> re.Match:
        """The first match of ``pattern`` in what the server wrote to stderr, waited for (it is read on a thread)."""
        deadline = time.monotonic() + timeout
        while True:
            for line in list(self.logs):
                if match := re.search(pattern, line):
                    return match
            if time.monotonic() > deadline:
                raise AssertionError(f"the server never logged {pattern!r}:\n" + "".join(self.logs))
            time.sleep(0.05)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, body) -> Response:
        return self.request("POST", path, body)

    def stop(self, timeout: float = 60) -> tuple[int, list[dict]]:
        """SIGTERM, then the exit code and the events that came after ``serving``."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        rest = []
        while True:
            try:
                rest.append(self.events.get(timeout=5 if not rest else 0.5))
            except queue.Empty:
                return code, rest
