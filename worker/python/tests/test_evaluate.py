"""``evaluate``: the results file line by line (loss as transformers computes it, generations as its ``generate``
makes them), the totals in ``finished``, sampling that repeats whatever the batching, stop strings, adapters,
the ``.partial`` rename, bad specs and SIGTERM."""

import io
import json
import os
import signal
import subprocess
import sys

import jsonschema
import pytest
import torch
import torch.nn.functional as F
from conftest import PYTHON_ROOT, run_worker
from tiny_adapters import write_adapter

from tuneforge_worker import data
from tuneforge_worker.data import IGNORE, Encoder, prompt_of, render_chat
from tuneforge_worker.evaluate import evaluate
from tuneforge_worker.events import EventSink
from tuneforge_worker.model import attach_lora, load_adapter, load_model, load_tokenizer
from tuneforge_worker.spec import EVENTS_SCHEMA, Lora, read_eval_spec, schema
from tuneforge_worker.stop import StopSignal

LINE_FIELDS = ["index", "loss", "tokens", "token_accuracy", "generated", "reference", "exact_match"]
CHATS = [
    {"messages": [{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "Name and age?"},
                  {"role": "assistant", "content": '{"name": "Kalu", "age": 74}'}]},
    {"messages": [{"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris"}]},
    {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "one", "weight": 0},
                  {"role": "user", "content": "b"}, {"role": "assistant", "content": "  two  "}]},
]
COMPLETIONS = [{"prompt": "2+2=", "completion": "4"}, {"prompt": "The sky is", "completion": " blue."}]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def workdir(tmp_path, tiny_llama):
    (tmp_path / "base").symlink_to(tiny_llama)
    write_jsonl(tmp_path / "chat.jsonl", CHATS)
    write_jsonl(tmp_path / "completion.jsonl", COMPLETIONS)
    return tmp_path


def write_spec(workdir, name="spec.json", **fields):
    spec = {"base_model": "base", "data": {"file": "chat.jsonl"}, "max_new_tokens": 12, "output": "eval/results.jsonl"}
    spec.update(fields)
    (workdir / name).write_text(json.dumps(spec))
    return workdir / name


def read_results(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def evaluate_here(workdir, batch_size=16, adapter=None, **fields):
    """``evaluate`` in this process: (exit code, events, result lines)."""
    spec = read_eval_spec(write_spec(workdir, **fields), workdir, adapter)
    out = io.StringIO()
    code = evaluate(spec, EventSink.to(out), StopSignal(), batch_size=batch_size)
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    return code, events, read_results(spec.output) if code == 0 else None


def direct_loss(model, encoded):
    """Mean cross-entropy and greedy accuracy over the target tokens, straight from transformers' logits."""
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([encoded.input_ids])).logits[0]
    targets = torch.tensor(encoded.targets)
    keep = targets != IGNORE
    loss = F.cross_entropy(logits[keep], targets[keep]).item()
    accuracy = (logits[keep].argmax(-1) == targets[keep]).double().mean().item()
    return loss, int(keep.sum()), accuracy


def greedy_reference(model, tokenizer, prompt_ids, max_new_tokens):
    with torch.no_grad():
        out = model.generate(input_ids=torch.tensor([prompt_ids]), attention_mask=torch.ones(1, len(prompt_ids),
                             dtype=torch.long), max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=2,
                             pad_token_id=0, temperature=None, top_p=None, top_k=None)
    tokens = out[0, len(prompt_ids):].tolist()
    if tokens and tokens[-1] == 2:
        tokens = tokens[:-1]
    return tokenizer.decode(tokens, skip_special_tokens=True)


@pytest.mark.parametrize("fmt, rows", [("chat", CHATS), ("completion", COMPLETIONS)])
def test_each_line_holds_the_loss_transformers_computes_and_the_generation_it_makes(workdir, tiny_llama, fmt, rows):
    code, events, stderr = run_worker("evaluate", "--spec", str(write_spec(workdir, data={"file": f"{fmt}.jsonl",
                                      "format": fmt}, max_new_tokens=10)), "--workdir", str(workdir))
    assert code == 0, stderr
    results_file = workdir / "eval" / "results.jsonl"
    lines = read_results(results_file)
    assert not (workdir / "eval" / "results.jsonl.partial").exists()

    tokenizer = load_tokenizer(tiny_llama)
    model = load_model(tiny_llama, torch.device("cpu"))
    encoder = Encoder(tokenizer, 1024)
    assert len(lines) == len(rows)
    for i, (line, row) in enumerate(zip(lines, rows, strict=True)):
        example = data.parse(row, fmt, "x")
        loss, tokens, accuracy = direct_loss(model, encoder.encode(example))
        assert list(line) == LINE_FIELDS
        assert line["index"] == i and line["tokens"] == tokens
        assert line["loss"] == pytest.approx(loss, abs=1e-5)
        assert line["token_accuracy"] == pytest.approx(accuracy, abs=1e-12)
        prompt, reference = prompt_of(example)
        prompt_ids = (tokenizer(prompt)["input_ids"] if fmt == "completion" else
                      tokenizer(render_chat(tokenizer, prompt, True), add_special_tokens=False)["input_ids"])
        assert line["reference"] == reference
        assert line["generated"] == greedy_reference(model, tokenizer, prompt_ids, 10)
        assert line["exact_match"] == (line["generated"].strip() == reference.strip())

    validator = jsonschema.Draft202012Validator(schema(EVENTS_SCHEMA))
    for event in events:
        validator.validate(event)
    assert events[0] == {"event": "started", "command": "evaluate", "runtime": "torch", "device": "cpu",
                         "total_steps": len(rows), "train_examples": len(rows), "trainable_parameters": 0,
                         "resumed_from_step": 0}
    assert [e["step"] for e in events if e["event"] == "progress"] == [len(rows)]
    finished = events[-1]
    assert finished["event"] == "finished" and finished["outputs"] == {"results": str(results_file)}
    total = sum(line["tokens"] for line in lines)
    valid_loss = sum(line["loss"] * line["tokens"] for line in lines) / total
    metrics = finished["metrics"]
    assert metrics == pytest.approx({
        "examples": len(rows), "tokens": total, "valid_loss": valid_loss,
        "perplexity": torch.tensor(valid_loss).exp().item(),
        "token_accuracy": sum(line["token_accuracy"] * line["tokens"] for line in lines) / total,
        "exact_match": sum(line["exact_match"] for line in lines) / len(lines)}, rel=1e-6)


def overfit_adapter(base, rows, path, steps=60):
    """A LoRA adapter trained with a plain loop until the model reproduces ``rows``' answers, then saved."""
    tokenizer = load_tokenizer(base)
    model = attach_lora(load_model(base, torch.device("cpu")), Lora(r=8, alpha=16, dropout=0.0,
                                                                    target_modules=("all-linear",)), seed=0)
    encoded = [Encoder(tokenizer, 256).encode(data.parse(r, "chat", "x")) for r in rows]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-2)
    model.train()
    for _ in range(steps):
        loss = sum(F.cross_entropy(model(input_ids=torch.tensor([e.input_ids])).logits[0], torch.tensor(e.targets),
                                   ignore_index=IGNORE) for e in encoded)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(str(path))
    return path


@pytest.fixture(scope="module")
def learned_adapter(tiny_llama, tmp_path_factory):
    return overfit_adapter(tiny_llama, CHATS[:2], tmp_path_factory.mktemp("adapters") / "learned")


def test_a_model_that_learned_its_references_reproduces_them_exactly(workdir, learned_adapter):
    write_jsonl(workdir / "chat.jsonl", CHATS[:2])
    code, events, lines = evaluate_here(workdir, adapter=learned_adapter, max_new_tokens=40)
    assert code == 0, events
    assert [line["generated"] for line in lines] == [CHATS[0]["messages"][-1]["content"], "Paris"]
    assert all(line["exact_match"] for line in lines)
    assert events[-1]["metrics"]["exact_match"] == 1.0
    assert events[-1]["metrics"]["token_accuracy"] == 1.0
    _, _, untuned = evaluate_here(workdir, max_new_tokens=40)
    assert not any(line["exact_match"] for line in untuned)


def test_the_adapter_on_the_command_line_overrides_the_specs(workdir, tiny_llama, tmp_path):
    spec_adapter = write_adapter(tiny_llama, tmp_path / "spec-adapter", seed=1)
    cli_adapter = write_adapter(tiny_llama, tmp_path / "cli-adapter", seed=2)
    spec = write_spec(workdir, adapter=str(spec_adapter), max_new_tokens=0)
    code, _, stderr = run_worker("evaluate", "--spec", str(spec), "--workdir", str(workdir), "--adapter",
                                 str(cli_adapter))
    assert code == 0, stderr
    lines = read_results(workdir / "eval" / "results.jsonl")
    tokenizer = load_tokenizer(tiny_llama)
    encoded = Encoder(tokenizer, 1024).encode(data.parse(CHATS[0], "chat", "x"))
    with_cli = load_adapter(load_model(tiny_llama, torch.device("cpu")), cli_adapter).eval()
    with_spec = load_adapter(load_model(tiny_llama, torch.device("cpu")), spec_adapter).eval()
    assert lines[0]["loss"] == pytest.approx(direct_loss(with_cli, encoded)[0], abs=1e-5)
    assert lines[0]["loss"] != pytest.approx(direct_loss(with_spec, encoded)[0], abs=1e-3)


def test_a_seeded_sampled_evaluation_repeats_and_does_not_depend_on_the_batch_size(workdir):
    write_jsonl(workdir / "chat.jsonl", CHATS * 3)
    sampled = dict(max_new_tokens=16, temperature=1.0, top_p=0.95, top_k=100, seed=11)
    _, _, by_16 = evaluate_here(workdir, batch_size=16, **sampled)
    _, _, by_4 = evaluate_here(workdir, batch_size=4, **sampled)
    _, _, by_1 = evaluate_here(workdir, batch_size=1, **sampled)
    assert by_16 == by_4 == by_1
    _, _, other_seed = evaluate_here(workdir, **{**sampled, "seed": 12})
    _, _, greedy = evaluate_here(workdir, max_new_tokens=16)
    generated = [line["generated"] for line in by_16]
    assert generated != [line["generated"] for line in other_seed]
    assert generated != [line["generated"] for line in greedy]
    # example i samples with seed + i: the same example at index 0 of a run with seed 11 + 3 gives line 3's text
    write_jsonl(workdir / "chat.jsonl", CHATS[:1])
    _, _, shifted = evaluate_here(workdir, **{**sampled, "seed": 14})
    assert shifted[0]["generated"] == by_16[3]["generated"]


def test_stop_strings_cut_each_generation_before_the_first_one(workdir):
    _, _, whole = evaluate_here(workdir, max_new_tokens=24)
    texts = [line["generated"] for line in whole]
    stop = next(t[i: i + 2] for t in texts for i in range(2, len(t) - 2) if t[i: i + 2].isascii()
                and t[i: i + 2].isprintable() and " " not in t[i: i + 2])
    _, _, cut = evaluate_here(workdir, max_new_tokens=24, stop=[stop, "never there"])
    assert [line["generated"] for line in cut] == [t[: t.index(stop)] if stop in t else t for t in texts]


def test_without_generation_a_line_holds_only_the_loss(workdir):
    code, events, lines = evaluate_here(workdir, max_new_tokens=0)
    assert code == 0
    assert all(list(line) == ["index", "loss", "tokens", "token_accuracy"] for line in lines)
    assert "exact_match" not in events[-1]["metrics"]


PAIRS = [
    {"prompt": "Capital of France?", "chosen": "Paris", "rejected": "London", "system": "Be brief."},
    {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}], "rejected": "five"},
    {"prompt": "Colour of the sky?", "chosen": "blue", "rejected": "blue, mostly"},
]


def test_a_preference_line_adds_both_answers_log_probabilities_and_which_the_model_prefers(workdir, tiny_llama):
    write_jsonl(workdir / "pairs.jsonl", PAIRS)
    code, events, lines = evaluate_here(workdir, data={"file": "pairs.jsonl", "format": "preference"},
                                        max_new_tokens=4)
    assert code == 0
    model, encoder = load_model(tiny_llama, torch.device("cpu")), Encoder(load_tokenizer(tiny_llama), 1024)
    for line, row in zip(lines, PAIRS, strict=True):
        example = data.parse(row, "preference", "x")
        assert list(line) == LINE_FIELDS + ["chosen_logp", "rejected_logp", "prefers_chosen"]
        assert line["reference"] == example.chosen
        for answer, key in ((example.chosen, "chosen_logp"), (example.rejected, "rejected_logp")):
            loss, tokens, _ = direct_loss(model, encoder.encode(example.answered(answer)))
            assert line[key] == pytest.approx(-loss * tokens, rel=1e-5)
        assert line["prefers_chosen"] == (line["chosen_logp"] > line["rejected_logp"])
    metrics = events[-1]["metrics"]
    assert metrics["preference_accuracy"] == sum(line["prefers_chosen"] for line in lines) / len(lines)
    margins = [line["chosen_logp"] - line["rejected_logp"] for line in lines]
    assert metrics["logp_margin"] == pytest.approx(sum(margins) / len(margins), rel=1e-9)
    assert "preference_accuracy" not in evaluate_here(workdir, max_new_tokens=0)[1][-1]["metrics"]


class _Watching(io.StringIO):
    """Events, noting at each one whether the results file and its .partial exist."""

    def __init__(self, output):
        super().__init__()
        self.output = output
        self.seen = []

    def write(self, s):
        if s.strip():
            partial = self.output.with_name(self.output.name + ".partial")
            self.seen.append((json.loads(s)["event"], partial.exists(), self.output.exists()))
        return super().write(s)


def test_results_are_written_as_partial_and_renamed_once_every_example_is_scored(workdir):
    write_jsonl(workdir / "chat.jsonl", CHATS * 3)
    spec = read_eval_spec(write_spec(workdir, max_new_tokens=4), workdir)
    out = _Watching(spec.output)
    assert evaluate(spec, EventSink.to(out), StopSignal(), batch_size=4) == 0
    assert out.seen == [("started", False, False), ("progress", True, False), ("progress", True, False),
                        ("progress", True, False), ("finished", False, True)]
    assert len(read_results(spec.output)) == 9


def test_a_bad_spec_fails_with_exit_2_naming_every_wrong_field(workdir):
    (workdir / "bad.json").write_text(json.dumps({"base_model": "base", "data": {"format": "csv"},
                                                  "temperature": "hot", "top_k": 0, "max_new_tokens": -1,
                                                  "stop": [""], "beams": 4}))
    code, events, _ = run_worker("evaluate", "--spec", str(workdir / "bad.json"), "--workdir", str(workdir))
    assert code == 2
    failed = events[-1]
    assert failed["event"] == "failed" and failed["code"] == "bad_spec" and failed["exit_code"] == 2
    for problem in ("beams: unknown field", "data.file: required", "data.format: must be one of",
                    "max_new_tokens: must be >= 0", 'temperature: must be a number, got "hot"',
                    "top_k: must be >= 1, got 0", "stop[0]: must not be empty"):
        assert problem in failed["message"], failed["message"]


def test_bad_data_fails_with_exit_2_naming_the_line(workdir):
    (workdir / "chat.jsonl").write_text(json.dumps(CHATS[0]) + "\n{oops\n")
    code, events, _ = run_worker("evaluate", "--spec", str(write_spec(workdir)), "--workdir", str(workdir))
    assert code == 2
    assert events[-1]["code"] == "bad_data" and "chat.jsonl line 2: not JSON" in events[-1]["message"]
    assert not (workdir / "eval" / "results.jsonl").exists()


def test_sigterm_stops_the_evaluation_with_exit_143_and_leaves_no_results(workdir):
    write_jsonl(workdir / "chat.jsonl", CHATS * 60)
    spec = write_spec(workdir, max_new_tokens=400)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(PYTHON_ROOT))
    process = subprocess.Popen([sys.executable, "-m", "tuneforge_worker", "evaluate", "--spec", str(spec),
                                "--workdir", str(workdir)], env=env, stdout=subprocess.PIPE, text=True)
    started = json.loads(process.stdout.readline())
    assert started["event"] == "started", started
    process.send_signal(signal.SIGTERM)
    rest = [json.loads(line) for line in process.stdout]
    assert process.wait(60) == 143
    assert rest[-1]["event"] == "stopped" and rest[-1]["reason"] == "SIGTERM"
    assert rest[-1]["step"] < 180 and "checkpoint" not in rest[-1]
    assert not (workdir / "eval" / "results.jsonl").exists()
    assert not (workdir / "eval" / "results.jsonl.partial").exists()
