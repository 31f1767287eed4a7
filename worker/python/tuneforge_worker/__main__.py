"""``python -m tuneforge_worker train|evaluate|serve`` (docs/WORKER_PROTOCOL.md).

Every way a command can end maps to the protocol: a ``WorkerFailure`` to its ``failed`` event and exit code,
running out of host or device memory to ``out_of_resources`` (3), anything else to ``internal`` (1) with the
traceback on stderr. Stdout carries only events (see ``events``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from pathlib import Path

# Before transformers is imported: never reach for the hub, no progress bars, no tokenizer threads.
for _name, _value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
                      ("TOKENIZERS_PARALLELISM", "false"), ("TRANSFORMERS_VERBOSITY", "error")):
    os.environ.setdefault(_name, _value)

from .errors import ExitCode, WorkerFailure  # noqa: E402
from .events import EventSink  # noqa: E402
from .stop import StopSignal  # noqa: E402


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as bad_spec instead of exiting on its own."""

    def error(self, message: str):
        raise WorkerFailure.bad_spec(f"usage: {message}")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m tuneforge_worker", description="tuneforge torch runtime")
    commands = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in ("train", "evaluate"):
        c = commands.add_parser(name)
        c.add_argument("--spec", type=Path, required=True)
        c.add_argument("--workdir", type=Path)
        if name == "evaluate":
            c.add_argument("--adapter", type=Path)
    s = commands.add_parser("serve")
    s.add_argument("--model", type=Path, required=True)
    s.add_argument("--adapter", type=Path)
    s.add_argument("--adapters", type=Path)
    s.add_argument("--max-adapters", type=int)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--device", default="cpu")
    s.add_argument("--parent-pid", type=int)
    return p


def main(argv: list[str] | None = None) -> int:
    rank = int(os.environ.get("RANK", "0"))
    events = EventSink.install(enabled=rank == 0)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format=f"%(asctime)s %(levelname)s [rank {rank}] %(name)s: %(message)s")
    stop = StopSignal.install()
    try:
        args = parser().parse_args(argv)
        return int(run(args, events, stop))
    except WorkerFailure as f:
        events.emit("failed", code=f.code, exit_code=int(f.exit_code), message=f.message)
        return int(f.exit_code)
    except MemoryError as e:
        return _out_of_memory(events, f"out of host memory: {e}")
    except Exception as e:
        if _is_device_oom(e):
            return _out_of_memory(events, str(e).splitlines()[0] if str(e) else type(e).__name__)
        traceback.print_exc()
        events.emit("failed", code="internal", exit_code=int(ExitCode.INTERNAL), message=f"{type(e).__name__}: {e}")
        return int(ExitCode.INTERNAL)


def run(args: argparse.Namespace, events: EventSink, stop: StopSignal) -> int:
    if args.command == "train":
        from .spec import read_train_spec
        from .train import train

        return train(read_train_spec(args.spec, args.workdir), events, stop)
    if args.command == "evaluate":
        from .evaluate import evaluate
        from .spec import read_eval_spec

        return evaluate(read_eval_spec(args.spec, args.workdir, args.adapter), events, stop)
    from .serve import serve

    return serve(args.model, args.adapter, args.host, args.port, args.device, events, stop, args.parent_pid,
                 args.adapters, args.max_adapters)


def _is_device_oom(e: Exception) -> bool:
    import torch

    text = str(e).lower()
    return isinstance(e, torch.OutOfMemoryError) or "out of memory" in text or "can't allocate memory" in text


def _out_of_memory(events: EventSink, message: str) -> int:
    traceback.print_exc()
    events.emit("failed", code="out_of_resources", exit_code=int(ExitCode.OUT_OF_RESOURCES), message=message)
    return int(ExitCode.OUT_OF_RESOURCES)


if __name__ == "__main__":
    sys.exit(main())
