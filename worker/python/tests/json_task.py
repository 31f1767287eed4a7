"""The demo's JSON task, generated exactly as the djl runtime's ``fixture/JsonTask.java`` does.

"Answer with nothing but the JSON object asked for": prompts name two fields and their values in varied
wordings; the answer is the JSON object alone. Held-out examples use names and ages that never occur in
training, so passing means copying, not recall. ``java.util.Random`` draws the same numbers as in Java, so
``jsonl(500, 11, False, seen)`` is byte for byte the file ``tuneforge demo`` uploads.
"""

from __future__ import annotations

import json
from pathlib import Path

from tuneforge_worker.java_random import JavaRandom

SYLLABLES = ["ba", "de", "fi", "go", "lu", "ma", "ne", "ri", "so", "ta", "vi", "zo"]
#: ages 10..99 that never occur in training, though all their digits do
HELD_OUT_AGES = {17, 28, 39, 41, 52, 63, 74, 85, 96}
WORDINGS = [
    "Give me a JSON object with name {} and age {}",
    "Return JSON with name {} and age {}",
    "I need a JSON object: name {}, age {}",
    "JSON please, name {} and age {}",
]


def example(random: JavaRandom, held_out: bool, seen_names: set[str]) -> dict:
    """A chat example; held-out ones take an unseen name and an age training never uses."""
    while True:
        name = "".join(SYLLABLES[random.next_int(len(SYLLABLES))] for _ in range(2 + random.next_int(2)))
        name = name[0].upper() + name[1:]
        if not (held_out and name in seen_names):
            break
    if not held_out:
        seen_names.add(name)
    while True:
        age = 10 + random.next_int(90)
        if (age in HELD_OUT_AGES) == held_out:
            break
    prompt = WORDINGS[random.next_int(len(WORDINGS))].format(name, age)
    answer = '{"name": "' + name + '", "age": ' + str(age) + "}"
    return {"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]}


def jsonl(count: int, seed: int, held_out: bool, seen_names: set[str]) -> str:
    """``count`` examples as JSONL (Jackson's compact JSON); pass the same ``seen_names`` to the training and
    held-out calls."""
    random = JavaRandom(seed)
    return "".join(json.dumps(example(random, held_out, seen_names), separators=(",", ":"), ensure_ascii=False)
                   + "\n" for _ in range(count))


def write(path: Path, count: int, seed: int, held_out: bool, seen_names: set[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(jsonl(count, seed, held_out, seen_names), encoding="utf-8")
    return path
