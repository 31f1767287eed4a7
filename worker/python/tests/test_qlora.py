"""``train`` with method ``qlora``: the decoder projections are NF4 while the adapter trains, the output is an
ordinary PEFT LoRA adapter that loads on the unquantised base, and a QLoRA run learns the JSON task."""

import json
import sys

import pytest
import torch
from json_task import write
from test_learning import answers
from tiny_models import write_model
from training import check_events, run_process, tensors, train_here, workdir_with, write_spec

from tuneforge_worker.model import PROJECTIONS, load_adapter, load_model, load_nf4_base, load_tokenizer
from tuneforge_worker.nf4 import NF4Linear


def qlora(**options) -> dict:
    return {"type": "qlora", "r": 4, "dropout": 0.0, "target_modules": ["all-linear"], **options}


@pytest.mark.parametrize("double_quant", [True, False])
def test_the_nf4_base_holds_every_decoder_projection_in_nf4_and_nothing_else(tiny_llama, double_quant):
    model = load_nf4_base(tiny_llama, torch.device("cpu"), torch.float32, double_quant)
    quantised = {name.rsplit(".", 1)[-1] for name, m in model.named_modules() if isinstance(m, NF4Linear)}
    assert quantised == set(PROJECTIONS)
    assert sum(isinstance(m, NF4Linear) for m in model.modules()) == 7 * model.config.num_hidden_layers
    assert type(model.lm_head) is torch.nn.Linear
    assert all(m.nf4().double_quant == double_quant for m in model.modules() if isinstance(m, NF4Linear))


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_a_qlora_run_trains_an_adapter_that_loads_on_the_unquantised_base(tmp_path, tiny_llama, precision):
    workdir = workdir_with(tmp_path, tiny_llama, train_rows=16)
    spec = write_spec(workdir, method=qlora(), precision=precision, save_steps=None)
    code, events = train_here(spec, workdir)
    assert code == 0
    check_events(events)
    progress = [e for e in events if e["event"] == "progress"]
    assert progress[-1]["train_loss"] < progress[0]["train_loss"]

    adapter = workdir / "out" / "adapter"
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["base_model_name_or_path"] == str(workdir / "base")
    weights = tensors(adapter / "adapter_model.safetensors")
    assert len(weights) == 2 * 7 * 2 and all(t.dtype == torch.float32 for t in weights.values())
    tuned = load_adapter(load_model(workdir / "base", torch.device("cpu")), adapter)
    assert not any(isinstance(m, NF4Linear) for m in tuned.modules())
    state = json.loads((workdir / "out" / "trainer_state.json").read_text())
    assert state["global_step"] == progress[-1]["step"]



#: test_learning's JSON-task model and data (fewer examples), LoRA r 64 on every projection of its NF4 base
QLORA_RECIPE = {"epochs": 16, "batch_size": 8, "learning_rate": 3e-3, "lr_scheduler": "cosine", "warmup_ratio": 0.05,
                "max_grad_norm": 1.0, "packing": True, "max_seq_length": 256, "seed": 5}


def json_task_scores(pairs) -> tuple[float, float]:
    """(exact match, share of answers that are a JSON object of exactly name and an integer age)."""
    exact = shaped = 0
    for answer, reference in pairs:
        exact += answer.strip() == reference.strip()
        try:
            value = json.loads(answer)
        except ValueError:
            continue
        shaped += isinstance(value, dict) and list(value) == ["name", "age"] and type(value["age"]) is int
    return exact / len(pairs), shaped / len(pairs)


@pytest.mark.slow
def test_a_qlora_run_learns_to_answer_with_the_json_object_only(tmp_path):
    """300 examples, 16 epochs (294 steps), in a worker process with one math thread. Measured on the shared 2-core
    machine (about 60 CPU seconds for training and evaluation), the adapter on the unquantised base: every held-out
    answer a JSON object of name and age, and 21/30 exactly right (0/30 for the base model). The exact-match share
    is sensitive to the run: the same recipe with seed 6 scored 7/30, at learning rate 2e-3 4/30 (both with every
    answer shaped right), at 5e-3 or with r 128 0/30, and a 2-layer model 0/30; hence the low exact-match bar."""
    base = write_model(tmp_path / "base", hidden=128, layers=4, heads=4, kv_heads=4, intermediate=256,
                       fan_in_init=True, seed=3)
    names: set[str] = set()
    write(tmp_path / "train.jsonl", 300, 11, False, names)
    write(tmp_path / "heldout.jsonl", 30, 12, True, names)
    spec = write_spec(tmp_path, method=qlora(r=64), hyperparameters=QLORA_RECIPE, save_steps=None)
    code, events = run_process(spec, tmp_path)  # one math thread, as measured
    assert code == 0, (tmp_path / "worker.log").read_text()[-3000:]
    assert events[0]["total_steps"] == 294

    tokenizer = load_tokenizer(base)
    heldout = tmp_path / "heldout.jsonl"
    tuned = json_task_scores(answers(base, heldout, tokenizer, adapter=tmp_path / "out" / "adapter"))
    untrained = json_task_scores(answers(base, heldout, tokenizer))
    print(f"exact match, JSON shape: QLoRA adapter {tuned}, base {untrained}", file=sys.stderr)
    assert tuned[1] >= 0.9, f"share of answers shaped as the JSON object after QLoRA {tuned[1]}"
    assert tuned[0] >= 0.1, f"exact match after QLoRA {tuned[0]}"
    assert untrained == (0.0, 0.0), f"base exact match, JSON shape {untrained}"
