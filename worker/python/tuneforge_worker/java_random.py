"""``java.util.Random`` and the bits of Java arithmetic the djl runtime seeds with, bit for bit.

The training plan shuffles each epoch as the djl runtime's ``TrainingPlan`` does (``Collections.shuffle`` with
``new Random(seed * 1_000_003L + epoch)``), so both runtimes train on the same order from the same spec and a
conformance run can compare them step by step. The demo's JSON task generator (``tests/json_task.py``) uses it
too, so both write the same files.
"""

from __future__ import annotations

from typing import TypeVar

_MULTIPLIER = 0x5DEECE66D
_ADDEND = 0xB
_MASK = (1 << 48) - 1

T = TypeVar("T")


def java_long(value: int) -> int:
    """``value`` wrapped to a signed 64-bit integer, as Java's ``long`` arithmetic leaves it."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def long_hash(value: int) -> int:
    """``Long.hashCode(value)``: the two halves xor-ed, as a signed 32-bit integer."""
    bits = java_long(value) & ((1 << 64) - 1)
    folded = (bits ^ (bits >> 32)) & 0xFFFFFFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


class JavaRandom:
    """The 48-bit linear congruential generator of ``java.util.Random``."""

    def __init__(self, seed: int):
        self._seed = (java_long(seed) ^ _MULTIPLIER) & _MASK

    def _next(self, bits: int) -> int:
        self._seed = (self._seed * _MULTIPLIER + _ADDEND) & _MASK
        result = self._seed >> (48 - bits)
        return result - (1 << 32) if result >= 1 << 31 else result  # Java's (int) cast

    def next_int(self, bound: int) -> int:
        if bound <= 0:
            raise ValueError("bound must be positive")
        if bound & -bound == bound:  # a power of two
            return (bound * (self._next(31))) >> 31
        while True:
            bits = self._next(31)
            value = bits % bound
            if bits - value + (bound - 1) < 1 << 31:
                return value

    def shuffle(self, items: list[T]) -> None:
        """``Collections.shuffle(items, this)`` for a random-access list, in place."""
        for i in range(len(items), 1, -1):
            j = self.next_int(i)
            items[i - 1], items[j] = items[j], items[i - 1]
