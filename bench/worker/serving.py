"""One torch ``serve --adapters`` process: resident memory with 1 vs N adapters of one base model loaded, and the
time to the first streamed token for a cold adapter (loaded by the request) and a warm one.

Issue #17's goal: serving 10 versions of one base model takes at most 1.3x the resident memory of serving one. A
random Llama of the given shape (the tests' byte-level tokenizer) and N LoRA adapters (random B, so each changes
the answer) are written to a temporary directory; one server is started with ``--adapters`` over them and
``--max-adapters N``; after a greedy chat request to the first adapter, then to each of the others, the process's
VmRSS (``/proc/<pid>/status``) is read. For reference, a server of the base model alone and one started with
``--adapter`` (one version, as before this issue) are measured after one request too. Time to first token: a server
with ``--max-adapters 1`` asked alternately for two adapters (each request loads its adapter, evicting the other)
and then once more for the same one (loaded), ``--rounds`` times; medians printed.

Usage (the torch runtime's environment)::

    worker/python/.venv/bin/python bench/worker/serving.py --adapters 10 \
        --hidden 1024 --intermediate 2816 --layers 8 --heads 16 --kv-heads 4
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON_ROOT = Path(__file__).resolve().parents[2] / "worker" / "python"
sys.path.insert(0, str(PYTHON_ROOT))
sys.path.insert(0, str(PYTHON_ROOT / "tests"))

from tiny_adapters import write_adapter
from tiny_models import write_model

CHAT = [{"role": "user", "content": "Give me a JSON object with name Ada and age 36"}]


class Server:
    def __init__(self, *options: str):
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(PYTHON_ROOT))
        self.process = subprocess.Popen([sys.executable, "-m", "tuneforge_worker", "serve", *options, "--port", "0"],
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        serving = json.loads(self.process.stdout.readline())
        assert serving["event"] == "serving", serving
        self.port = serving["port"]

    def chat(self, model: str | None) -> str:
        body = {"messages": CHAT, "max_tokens": 8, "temperature": 0, **({"model": model} if model else {})}
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            connection.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = json.loads(response.read())
            assert response.status == 200, answer
            return answer["choices"][0]["message"]["content"]
        finally:
            connection.close()

    def first_token_seconds(self, model: str) -> float:
        """From sending a streamed greedy chat request to its first piece of text."""
        body = {"model": model, "messages": CHAT, "max_tokens": 8, "temperature": 0, "stream": True}
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            started = time.perf_counter()
            connection.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
            response = connection.getresponse()
            assert response.status == 200, response.read()
            while line := response.readline():
                if line.startswith(b"data: {") and b'"content":"' in line and b'"content":""' not in line:
                    elapsed = time.perf_counter() - started
                    response.read()
                    return elapsed
            raise AssertionError("no text in the stream")
        finally:
            connection.close()

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--adapters", type=int, default=10)
    p.add_argument("--hidden", type=int, default=1024)
    p.add_argument("--intermediate", type=int, default=2816)
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--heads", type=int, default=16)
    p.add_argument("--kv-heads", type=int, default=4)
    p.add_argument("--rank", type=int, default=8)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="serving-memory-") as tmp:
        root = Path(tmp)
        base = write_model(root / "base", hidden=args.hidden, layers=args.layers, heads=args.heads,
                           kv_heads=args.kv_heads, intermediate=args.intermediate)
        ids = [f"version-{i}" for i in range(1, args.adapters + 1)]
        for i, name in enumerate(ids):
            write_adapter(base, root / "adapters" / name, r=args.rank, seed=i)
        weights = sum(f.stat().st_size for f in base.glob("*.safetensors")) / 2**20
        adapter = (root / "adapters" / ids[0] / "adapter_model.safetensors").stat().st_size / 2**20
        print(f"base model: {weights:.1f} MiB of weights; one adapter: {adapter:.2f} MiB (LoRA r={args.rank})")

        for label, options in (("base model alone", ()), ("--adapter (one version)", ("--adapter",
                                                                                    str(root / "adapters" / ids[0])))):
            server = Server("--model", str(base), *options)
            server.chat(None)
            print(f"{label}: RSS {server.rss_mib():.1f} MiB")
            server.stop()

        server = Server("--model", str(base), "--adapters", str(root / "adapters"), "--max-adapters",
                        str(args.adapters))
        answers = [server.chat(ids[0])]
        one = server.rss_mib()
        answers += [server.chat(name) for name in ids[1:]]
        many = server.rss_mib()
        server.stop()
        print(f"--adapters, 1 loaded: RSS {one:.1f} MiB")
        print(f"--adapters, {args.adapters} loaded: RSS {many:.1f} MiB ({many / one:.3f}x; {len(set(answers))} "
              f"different answers)")

        server = Server("--model", str(base), "--adapters", str(root / "adapters"), "--max-adapters", "1")
        server.chat(ids[1])
        cold, warm = [], []
        for i in range(args.rounds):
            cold.append(server.first_token_seconds(ids[i % 2]))
            warm.append(server.first_token_seconds(ids[i % 2]))
        server.stop()
        print(f"time to first token, median of {args.rounds}: cold adapter {statistics.median(cold) * 1000:.0f} ms, "
              f"warm adapter {statistics.median(warm) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
