"""It learns: a tiny random Llama, fully fine-tuned on the demo's JSON task, answers held-out prompts exactly; DPO
teaches the tiny test model to prefer, on held-out pairs, the answer that follows the instruction.

The djl runtime's ``JsonTaskLearningTest`` recipe (hidden 128, 4 layers of 4 heads, a byte-level vocabulary so
that a name in the answer is the same token sequence as in the prompt; 500 examples, 16 epochs of packed
micro-batches of 8 = 480 steps, cosine schedule, weight decay 0.3), with the djl ``TinyLlamaWriter``'s
initialisation and a learning rate of 2e-3 instead of 3e-3. Measured on the 2-core development machine, one
math thread: at 3e-3 it scored 27/30 held-out prompts (both initialisations); at 2e-3, 29/30 with seed 5
(30 and 28 with seeds 6 and 7); LoRA r 128 on every linear layer at the demo's 1e-3 scored 25/30. The base
model scores 0/30. Training takes 80 to 150 seconds depending on the machine's load.
"""

import io
import json
import sys
import time

import pytest
import torch
from json_task import write
from tiny_models import write_model
from training import run_process, train_here, write_jsonl, write_spec

from tuneforge_worker.data import prompt_of, read_examples, render_chat
from tuneforge_worker.evaluate import evaluate
from tuneforge_worker.events import EventSink
from tuneforge_worker.java_random import JavaRandom
from tuneforge_worker.model import load_adapter, load_model, load_tokenizer
from tuneforge_worker.spec import read_eval_spec
from tuneforge_worker.stop import StopSignal

RECIPE = {"epochs": 16, "batch_size": 8, "learning_rate": 2e-3, "lr_scheduler": "cosine", "warmup_ratio": 0.05,
          "weight_decay": 0.3, "max_grad_norm": 1.0, "packing": True, "max_seq_length": 256, "seed": 5}


def answers(model_dir, heldout, tokenizer, adapter=None) -> list[tuple[str, str]]:
    """(greedy answer of up to 40 tokens, reference) of each held-out prompt (with ``adapter`` on the model, if
    given)."""
    model = load_model(model_dir, torch.device("cpu"))
    if adapter is not None:
        model = load_adapter(model, adapter)
    out = []
    for example in read_examples(heldout, "chat"):
        messages, reference = prompt_of(example)
        ids = tokenizer(render_chat(tokenizer, messages, True), add_special_tokens=False,
                        return_tensors="pt")["input_ids"]
        with torch.no_grad():
            generated = model.generate(input_ids=ids, max_new_tokens=40, do_sample=False,
                                       eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
        out.append((tokenizer.decode(generated[0, ids.shape[1]:], skip_special_tokens=True), reference))
    return out


def exact_match(model_dir, heldout, tokenizer, adapter=None) -> float:
    """Share of held-out prompts whose greedy answer (up to 40 tokens) is exactly the reference."""
    pairs = answers(model_dir, heldout, tokenizer, adapter)
    return sum(answer.strip() == reference.strip() for answer, reference in pairs) / len(pairs)


@pytest.mark.slow
def test_a_tiny_model_learns_to_answer_with_the_json_object_only(tmp_path):
    base = write_model(tmp_path / "base", hidden=128, layers=4, heads=4, kv_heads=4, intermediate=256,
                       fan_in_init=True, seed=3)
    names: set[str] = set()
    write(tmp_path / "train.jsonl", 500, 11, False, names)
    write(tmp_path / "heldout.jsonl", 30, 12, True, names)
    spec = write_spec(tmp_path, method={"type": "full"}, hyperparameters=RECIPE, save_steps=None)

    started = time.perf_counter()
    code, events = run_process(spec, tmp_path)
    seconds = time.perf_counter() - started
    assert code == 0, (tmp_path / "worker.log").read_text()[-3000:]
    assert events[0]["total_steps"] == 480

    tokenizer = load_tokenizer(base)
    torch.set_num_threads(1)
    tuned = exact_match(tmp_path / "out" / "model", tmp_path / "heldout.jsonl", tokenizer)
    untrained = exact_match(base, tmp_path / "heldout.jsonl", tokenizer)
    print(f"exact match: tuned {tuned:.3f}, base {untrained:.3f}; training took {seconds:.0f} s", file=sys.stderr)
    assert tuned >= 0.9, f"tuned exact match {tuned}"
    assert untrained <= 0.1, f"base exact match {untrained}"


# --- DPO ----------------------------------------------------------------------------------------------------------

CASE_SYLLABLES = ["ba", "de", "fi", "go", "lu", "ma", "ne", "ri", "so", "ta", "vi", "zo"]


def case_pairs(words: int, seed: int, exclude: set[str]) -> tuple[list[dict], set[str]]:
    """"<word> in lower case" prefers the word in lower case to it in upper case, "<word> in upper case" the
    reverse. Every word comes with both instructions, so a model that ignores the instruction (a random base
    prefers one spelling of a word whatever it is asked) is right on half of the pairs."""
    random = JavaRandom(seed)
    pairs, seen = [], set()
    while len(seen) < words:
        word = "".join(CASE_SYLLABLES[random.next_int(len(CASE_SYLLABLES))] for _ in range(2 + random.next_int(2)))
        if word in exclude or word in seen:
            continue
        seen.add(word)
        pairs.append({"prompt": f"{word} in lower case", "chosen": word, "rejected": word.upper()})
        pairs.append({"prompt": f"{word} in upper case", "chosen": word.upper(), "rejected": word})
    return pairs, seen


def preference_accuracy(workdir, adapter: str | None) -> float:
    spec = {"base_model": "base", "data": {"file": "heldout.jsonl", "format": "preference"}, "max_new_tokens": 0,
            "output": f"eval-{adapter is not None}.jsonl", **({"adapter": adapter} if adapter else {})}
    (workdir / "eval.json").write_text(json.dumps(spec))
    out = io.StringIO()
    assert evaluate(read_eval_spec(workdir / "eval.json", workdir), EventSink.to(out), StopSignal()) == 0
    return json.loads(out.getvalue().splitlines()[-1])["metrics"]["preference_accuracy"]


def test_dpo_teaches_a_tiny_model_to_prefer_the_answer_that_follows_the_instruction(tmp_path, tiny_llama):
    """32 words (64 pairs), 3 epochs of 8 pairs a step, a LoRA adapter of r 8 on every linear layer: held-out pairs
    of 20 unseen words go from half preferred (0.50 measured) to all of them (1.00)."""
    (tmp_path / "base").symlink_to(tiny_llama)
    train_pairs, seen = case_pairs(32, 1, set())
    heldout, _ = case_pairs(20, 2, seen)
    write_jsonl(tmp_path / "train.jsonl", train_pairs)
    write_jsonl(tmp_path / "heldout.jsonl", heldout)
    spec = write_spec(tmp_path, data={"train": "train.jsonl", "format": "preference"},
                      method={"type": "dpo", "r": 8, "dropout": 0.0, "target_modules": ["all-linear"], "beta": 0.1},
                      hyperparameters={"epochs": 3, "batch_size": 8, "learning_rate": 0.01, "lr_scheduler": "constant",
                                       "max_seq_length": 64, "seed": 1}, save_steps=None)
    code, events = train_here(spec, tmp_path)
    assert code == 0

    base, tuned = preference_accuracy(tmp_path, None), preference_accuracy(tmp_path, "out/adapter")
    print(f"held-out preference accuracy: base {base:.2f}, after DPO {tuned:.2f}", file=sys.stderr)
    assert 0.3 <= base <= 0.7, f"base preference accuracy {base}"
    assert tuned >= 0.9, f"preference accuracy after DPO {tuned}"
