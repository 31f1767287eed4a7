"""Helpers for the ``train`` tests: data, specs, runs in this process or as a worker process, and events."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
from conftest import PYTHON_ROOT
from safetensors.torch import load_file

from tuneforge_worker.events import EventSink
from tuneforge_worker.spec import EVENTS_SCHEMA, read_train_spec, schema
from tuneforge_worker.stop import StopSignal
from tuneforge_worker.train import train

WORDS = ["red", "green", "blue", "amber", "violet", "cyan", "ochre", "teal", "rose", "slate", "jade", "plum"]


def chats(count: int, offset: int = 0, answer=None) -> list[dict]:
    """Short conversations of varied length: "colour i?" -> a word (or ``answer(i)``)."""
    out = []
    for i in range(offset, offset + count):
        word = WORDS[i % len(WORDS)]
        out.append({"messages": [{"role": "user", "content": f"colour {i}?" + " please" * (i % 3)},
                                 {"role": "assistant", "content": answer(i) if answer else word * (1 + i % 2)}]})
    return out


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def workdir_with(tmp_path: Path, model: Path, train_rows: int = 16, validation_rows: int = 0) -> Path:
    """A work directory holding ``base`` (the model), ``train.jsonl`` and maybe ``validation.jsonl``."""
    (tmp_path / "base").symlink_to(model)
    write_jsonl(tmp_path / "train.jsonl", chats(train_rows))
    if validation_rows:
        write_jsonl(tmp_path / "validation.jsonl", chats(validation_rows, offset=1000))
    return tmp_path


def lora(**options) -> dict:
    return {"type": "lora", "r": 4, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"], **options}


#: the DPO tests' beta
BETA = 0.3
PREFERENCE_WORDS = ["red", "green", "blue", "amber", "violet", "cyan"]


def preference_rows(count: int, offset: int = 0) -> list[dict]:
    """Pairs in both line shapes, some with a system turn: "colour i?" -> a word preferred to another."""
    rows = []
    for i in range(offset, offset + count):
        words = PREFERENCE_WORDS
        chosen, rejected = words[i % len(words)] * (1 + i % 2), words[(i + 2) % len(words)].upper()
        prompt = f"colour {i}?" + " please" * (i % 3)
        if i % 2 == 0:
            row = {"prompt": prompt, "chosen": chosen, "rejected": rejected}
            if i % 4 == 0:
                row["system"] = "Answer with one word."
        else:
            row = {"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": chosen}],
                   "rejected": rejected}
        rows.append(row)
    return rows


def dpo(**options) -> dict:
    return {"type": "dpo", "r": 4, "dropout": 0.0, "target_modules": ["all-linear"], "beta": BETA, **options}


def dpo_workdir(path: Path, model: Path, train_rows: int = 8, validation_rows: int = 4) -> Path:
    """A work directory holding ``base`` (the model), ``train.jsonl`` and ``validation.jsonl`` of preference pairs."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "base").symlink_to(model)
    write_jsonl(path / "train.jsonl", preference_rows(train_rows))
    write_jsonl(path / "validation.jsonl", preference_rows(validation_rows, offset=100))
    return path


def dpo_spec(workdir: Path, **fields) -> Path:
    fields.setdefault("method", dpo())
    return write_spec(workdir, data={"train": "train.jsonl", "validation": "validation.jsonl", "format": "preference"},
                      **fields)


def write_spec(workdir: Path, name: str = "spec.json", *, method: dict | None = None, validation: bool = False,
               **fields) -> Path:
    hyper = {"epochs": 2, "batch_size": 4, "learning_rate": 0.01, "max_seq_length": 128, "seed": 3}
    hyper.update(fields.pop("hyperparameters", {}))
    spec = {"base_model": "base", "data": {"train": "train.jsonl"}, "method": method or lora(),
            "hyperparameters": hyper, "output_dir": "out"}
    if validation:
        spec["data"]["validation"] = "validation.jsonl"
    spec.update(fields)
    (workdir / name).write_text(json.dumps(spec))
    return workdir / name


def train_here(spec_path: Path, workdir: Path, stop: StopSignal | None = None) -> tuple[int, list[dict]]:
    """Runs ``train`` in this process: (exit code, events)."""
    out = io.StringIO()
    code = train(read_train_spec(spec_path, workdir), EventSink.to(out), stop or StopSignal())
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def worker_env(**extra: str) -> dict:
    return dict(os.environ, OMP_NUM_THREADS="1", MKL_DYNAMIC="FALSE", OMP_DYNAMIC="FALSE",
                PYTHONPATH=str(PYTHON_ROOT), **extra)


def start_worker(spec_path: Path, workdir: Path) -> subprocess.Popen:
    """A worker process whose events can be read line by line from ``stdout`` as they come (its stderr goes
    to ``worker.log`` in the work directory)."""
    with open(workdir / "worker.log", "a") as log:
        return subprocess.Popen([sys.executable, "-m", "tuneforge_worker", "train", "--spec", str(spec_path),
                                 "--workdir", str(workdir)], cwd=workdir, env=worker_env(),
                                stdout=subprocess.PIPE, stderr=log, text=True)


def read_until(proc: subprocess.Popen, done) -> list[dict]:
    """Events of a running worker up to and including the first for which ``done(event)`` holds."""
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if done(events[-1]):
            return events
    raise AssertionError(f"the worker ended (exit {proc.wait()}) before the awaited event: {events}")


def read_rest(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, list[dict]]:
    rest = proc.stdout.read()
    return proc.wait(timeout), [json.loads(line) for line in rest.splitlines()]


def check_events(events: list[dict]) -> list[dict]:
    """Every event is valid under the shared events schema."""
    validator = jsonschema.Draft202012Validator(schema(EVENTS_SCHEMA))
    for e in events:
        problems = [err.message for err in validator.iter_errors(e)]
        assert not problems, f"{e}: {problems}"
    return events


def of(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e["event"] == kind]


def curve(events: list[dict]) -> list[tuple]:
    """What must repeat exactly between runs: each step's loss, learning rate and gradient norm."""
    return [(e["step"], e["train_loss"], e["learning_rate"], e["grad_norm"]) for e in of(events, "progress")]


def tensors(path: Path) -> dict:
    return load_file(str(path))


def run_process(spec_path: Path, workdir: Path) -> tuple[int, list[dict]]:
    """Runs a worker process to its end: (exit code, events)."""
    return read_rest(start_worker(spec_path, workdir))
