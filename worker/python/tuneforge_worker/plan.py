"""Every optimizer step of a run, decided before the first one (the djl runtime's ``TrainingPlan``).

Each epoch shuffles the example indices with ``java.util.Random(seed * 1_000_003 + epoch)`` (so both runtimes
train on the same order), lays them into rows — one example each, or packed greedily in order — groups rows
into micro-batches of ``batch_size`` and micro-batches into steps of ``gradient_accumulation_steps``. With
``max_steps`` the run is exactly that many steps, cycling epochs (transformers' semantics); otherwise
``epochs`` epochs. Because the plan is a pure function of the data and the spec, a resumed run finds its
place from the step number alone, and the fingerprint (of the data and the batching, not of the run's
length) lets a checkpoint refuse other data instead of silently diverging.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from .data import Encoded
from .java_random import JavaRandom, java_long
from .spec import Hyperparameters


@dataclass(frozen=True)
class Row:
    """Example indices laid end to end in one sequence."""

    examples: tuple[int, ...]


@dataclass(frozen=True)
class Step:
    epoch: int
    index_in_epoch: int
    steps_in_epoch: int
    micro_batches: tuple[tuple[Row, ...], ...]

    @property
    def epoch_progress(self) -> float:
        """Fractional epoch at the end of this step, as transformers logs it."""
        return self.epoch + (self.index_in_epoch + 1) / self.steps_in_epoch

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(row for micro in self.micro_batches for row in micro)


@dataclass(frozen=True)
class TrainingPlan:
    steps: tuple[Step, ...]
    fingerprint: str

    def __len__(self) -> int:
        return len(self.steps)


def build(examples: Sequence[Encoded], hp: Hyperparameters) -> TrainingPlan:
    max_steps = hp.max_steps or 0
    steps: list[Step] = []
    epoch = 0
    while (len(steps) < max_steps) if max_steps > 0 else (epoch < hp.epochs):
        order = list(range(len(examples)))
        JavaRandom(java_long(hp.seed * 1_000_003 + epoch)).shuffle(order)
        rows = pack(order, examples, hp.max_seq_length) if hp.packing else [Row((i,)) for i in order]
        micro = _chunk(rows, hp.batch_size)
        grouped = _chunk(micro, hp.gradient_accumulation_steps)
        for i, group in enumerate(grouped):
            if max_steps > 0 and len(steps) >= max_steps:
                break
            steps.append(Step(epoch, i, len(grouped), group))
        epoch += 1
    batching = [hp.batch_size, hp.gradient_accumulation_steps, hp.packing, hp.max_seq_length, hp.seed]
    return TrainingPlan(tuple(steps), fingerprint(examples, batching))


def pack(order: Sequence[int], examples: Sequence[Encoded], max_seq_length: int) -> list[Row]:
    """Greedy in order: an example joins the current row if it fits, else it starts the next one."""
    rows: list[Row] = []
    current: list[int] = []
    used = 0
    for i in order:
        length = len(examples[i])
        if current and used + length > max_seq_length:
            rows.append(Row(tuple(current)))
            current, used = [], 0
        current.append(i)
        used += length
    if current:
        rows.append(Row(tuple(current)))
    return rows


def fingerprint(examples: Sequence[Encoded], batching: list) -> str:
    """SHA-256 of the token ids and targets of every example and of what orders and groups them.

    The same digest as the djl runtime's (``Long.toString`` of each value and a comma, a semicolon after each
    example, then Java's ``List.toString`` of the batching), so a checkpoint names its data the same way in
    both runtimes.
    """
    sha = hashlib.sha256()
    for e in examples:
        sha.update("".join(f"{v}," for v in e.input_ids).encode("ascii"))
        sha.update("".join(f"{v}," for v in e.targets).encode("ascii"))
        sha.update(b";")
    shown = ", ".join(("true" if v else "false") if isinstance(v, bool) else str(v) for v in batching)
    sha.update(f"[{shown}]".encode())
    return sha.hexdigest()


def _chunk(items: list, size: int) -> list[tuple]:
    return [tuple(items[i:i + size]) for i in range(0, len(items), size)]
