"""``checkpoint-<step>/`` and the output directory, never half-written.

A checkpoint holds, at its top level, the trained weights in the output layout (a PEFT adapter, or
``config.json`` + ``model.safetensors`` and the tokenizer), ``optimizer.safetensors`` (the AdamW moments,
``exp_avg.<name>`` / ``exp_avg_sq.<name>``, float32), ``rng_state.safetensors`` (the torch CPU and CUDA
generator states of every rank), ``trainer_checkpoint.json`` (:class:`CheckpointState`) and
``trainer_state.json``. When the best validation so far is older than the checkpoint, ``best/`` holds its
weights (hard links to the output's files, which are never rewritten in place), so that a resumed run puts
back the output that belongs to its state even if the interrupted run had written a newer one.

Everything is written to a temporary directory beside the target and renamed, so a directory that exists
is complete.

The plan is rebuilt from the spec on resume, so the data position is the step; dropout is reseeded from
(seed, step, micro-batch), so a resumed run does not need the generator states to draw what the
uninterrupted one drew — they are restored anyway, for code that draws otherwise.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

STATE_FILE = "trainer_checkpoint.json"
TRAINER_STATE = "trainer_state.json"
OPTIMIZER_FILE = "optimizer.safetensors"
RNG_FILE = "rng_state.safetensors"
BEST_DIR = "best"
_NAME = re.compile(r"checkpoint-(\d+)")
#: prompt and prefix tuning's trained tensors (``prompt_learning``), which their adapter file does not hold
ENCODER_FILE = "prompt_encoder.safetensors"
_CHECKPOINT_ONLY = {STATE_FILE, TRAINER_STATE, OPTIMIZER_FILE, RNG_FILE, ENCODER_FILE}


@dataclass
class CheckpointState:
    """Where a run stands, besides its weights and optimizer moments."""

    global_step: int
    epoch: int
    step_in_epoch: int
    seed: int
    plan_fingerprint: str
    optimizer_step: int
    scheduler_step: int
    best_step: int  # -1 until a validation has run
    best_valid_loss: float | None
    evals_without_improvement: int
    log_history: list[dict] = field(default_factory=list)
    last_eval_step: int = -1
    #: what trains ({"type": "lora", "r": ...} or {"type": "full"}); another method cannot resume from it
    method: dict = field(default_factory=dict)
    world_size: int = 1
    grad_scaler: dict | None = None
    #: per rank: Python's and NumPy's generator states (torch's are in rng_state.safetensors)
    host_rng: list[dict] = field(default_factory=list)

    @classmethod
    def read(cls, directory: Path) -> CheckpointState:
        doc = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in known})


def latest(output_dir: Path) -> Path | None:
    """The complete checkpoint with the highest step in ``output_dir``, if any."""
    if not output_dir.is_dir():
        return None
    found = [(int(m.group(1)), p) for p in output_dir.iterdir()
             if (m := _NAME.fullmatch(p.name)) and (p / STATE_FILE).is_file()]
    return max(found)[1] if found else None


def trainer_state(state: CheckpointState, max_steps: int) -> dict:
    """``trainer_state.json`` as transformers' Trainer names its fields."""
    return {"global_step": state.global_step, "max_steps": max_steps,
            "best_step": state.best_step if state.best_step >= 0 else None,
            "best_metric": state.best_valid_loss, "log_history": state.log_history}


def write_json(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(_finite(doc), indent=2) + "\n", encoding="utf-8")
    return path


def write_checkpoint(output_dir: Path, state: CheckpointState, max_steps: int, save_weights, weights_kind: str,
                     moments: dict[str, torch.Tensor], torch_rng: dict[str, torch.Tensor]) -> Path:
    """Writes ``checkpoint-<step>/``; ``save_weights(dir)`` writes the weights in the output layout."""
    target = output_dir / f"checkpoint-{state.global_step}"
    with atomic_directory(target) as tmp:
        save_weights(tmp)
        save_file({k: v.contiguous() for k, v in moments.items()}, str(tmp / OPTIMIZER_FILE),
                  metadata={"format": "pt"})
        save_file(torch_rng, str(tmp / RNG_FILE), metadata={"format": "pt"})
        best = output_dir / weights_kind
        if 0 <= state.best_step != state.global_step and best.is_dir():
            link_tree(best, tmp / BEST_DIR)
        (tmp / STATE_FILE).write_text(json.dumps(asdict(state), indent=2) + "\n", encoding="utf-8")
        write_json(tmp / TRAINER_STATE, trainer_state(state, max_steps))
    return target


def read_moments(directory: Path) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    saved = load_file(str(directory / OPTIMIZER_FILE))
    exp_avg = {k.removeprefix("exp_avg."): v for k, v in saved.items() if k.startswith("exp_avg.")}
    exp_avg_sq = {k.removeprefix("exp_avg_sq."): v for k, v in saved.items() if k.startswith("exp_avg_sq.")}
    return exp_avg, exp_avg_sq


def restore_output(checkpoint: Path, state: CheckpointState, output: Path) -> None:
    """Puts back, as ``output``, the best validation's weights that a checkpoint knows of (see the module
    comment)."""
    if state.best_step < 0:
        return
    source = checkpoint / BEST_DIR if state.best_step != state.global_step else checkpoint
    if not source.is_dir():
        return
    with atomic_directory(output) as tmp:
        for p in source.iterdir():
            if p.is_file() and p.name not in _CHECKPOINT_ONLY:
                _link_or_copy(p, tmp / p.name)


# --- random generators -----------------------------------------------------------------------------------


def host_rng_state() -> dict:
    numpy_state = np.random.get_state()
    return {"python": _lists(random.getstate()),
            "numpy": [numpy_state[0], numpy_state[1].tolist(), *numpy_state[2:]]}


def set_host_rng_state(state: dict) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))


def torch_rng_state() -> dict[str, torch.Tensor]:
    states = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            states[f"cuda.{i}"] = s
    return states


def set_torch_rng_state(states: dict[str, torch.Tensor]) -> None:
    torch.set_rng_state(states["cpu"])
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            if f"cuda.{i}" in states:
                torch.cuda.set_rng_state(states[f"cuda.{i}"], i)


def read_torch_rng(directory: Path, rank: int) -> dict[str, torch.Tensor] | None:
    path = directory / RNG_FILE
    if not path.is_file():
        return None
    prefix = f"rank{rank}."
    mine = {k.removeprefix(prefix): v for k, v in load_file(str(path)).items() if k.startswith(prefix)}
    return mine or None


# --- files -----------------------------------------------------------------------------------------------


class atomic_directory:
    """``with atomic_directory(target) as tmp:`` fill ``tmp``; on success it replaces ``target``."""

    def __init__(self, target: Path):
        self.target = target
        self.tmp = target.parent / f".{target.name}.tmp"

    def __enter__(self) -> Path:
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir(parents=True)
        return self.tmp

    def __exit__(self, kind, value, tb) -> None:
        if kind is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        old = self.target.parent / f".{self.target.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if self.target.exists():
            os.replace(self.target, old)
        os.replace(self.tmp, self.target)
        shutil.rmtree(old, ignore_errors=True)


def link_tree(source: Path, target: Path) -> None:
    target.mkdir(parents=True)
    for p in source.iterdir():
        if p.is_file():
            _link_or_copy(p, target / p.name)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _lists(value):
    if isinstance(value, tuple):
        return [_lists(v) for v in value]
    return value


def _finite(value):
    """trainer_state.json is read by JSON parsers that reject NaN: a diverged loss is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
