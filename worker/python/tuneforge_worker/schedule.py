"""The learning rate of each optimizer step, as transformers' schedulers compute it (the djl ``LrSchedule``).

Linear warmup from 0, then linear decay to 0, half a cosine to 0, or constant. Step ``s`` (0-based) uses
the multiplier at ``s``, so with warmup the first update has learning rate 0, as in transformers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class LrSchedule:
    kind: str  # linear, cosine, constant
    peak: float
    warmup: int
    total: int

    def at(self, step: int) -> float:
        if step < self.warmup:
            return self.peak * step / max(1, self.warmup)
        decay_steps = max(1, self.total - self.warmup)
        if self.kind == "constant":
            return self.peak
        if self.kind == "linear":
            return self.peak * max(0.0, (self.total - step) / decay_steps)
        if self.kind == "cosine":
            progress = (step - self.warmup) / decay_steps
            return self.peak * max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))
        raise ValueError(f"unknown lr_scheduler {self.kind!r}")
