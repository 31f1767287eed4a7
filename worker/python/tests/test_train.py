"""``train``: the protocol's events and outputs, what a token weighs, validation, early stopping and precision."""

import json

import pytest
import torch
from conftest import run_worker
from training import chats, check_events, curve, lora, of, tensors, train_here, workdir_with, write_jsonl, write_spec

from tuneforge_worker.data import Encoder, read_examples
from tuneforge_worker.errors import WorkerFailure
from tuneforge_worker.loss import TokenLoss
from tuneforge_worker.model import load_adapter, load_model, load_tokenizer
from tuneforge_worker.packing import attention_mask_for, make_batch
from tuneforge_worker.plan import Row
from tuneforge_worker.schedule import LrSchedule


@pytest.fixture
def workdir(tmp_path, tiny_llama):
    return workdir_with(tmp_path, tiny_llama, train_rows=16, validation_rows=8)


def validation_loss(model, workdir) -> float:
    """Mean token loss of validation.jsonl under ``model`` (a PEFT model is read through its base model, which
    carries the adapter's layers)."""
    model = model.get_base_model() if hasattr(model, "get_base_model") else model
    tokenizer = load_tokenizer(workdir / "base")
    encoder = Encoder(tokenizer, 128)
    examples = [encoder.encode(e) for e in read_examples(workdir / "validation.jsonl", "chat")]
    batch = make_batch([Row((i,)) for i in range(len(examples))], examples, tokenizer.pad_token_id)
    with torch.no_grad():
        nll, _ = TokenLoss(model).eval()(batch.input_ids, batch.position_ids, batch.target_index,
                                         batch.target_ids, attention_mask_for(model.config, batch))
    return nll.item() / batch.target_count


def test_a_lora_run_speaks_the_protocol_and_its_output_is_the_best_validations_adapter(workdir):
    method = lora(dropout=0.1, target_modules=["all-linear"], use_rslora=True)
    spec = write_spec(workdir, method=method, validation=True, eval_steps=3, save_steps=4,
                      hyperparameters={"lr_scheduler": "cosine", "warmup_steps": 2})
    code, events, stderr = run_worker("train", "--spec", str(spec), "--workdir", str(workdir), cwd=workdir)
    assert code == 0, stderr
    check_events(events)
    assert [e["event"] for e in events] == (
        ["started"] + ["progress"] * 3 + ["eval", "progress", "checkpoint"] + ["progress"] * 2 + ["eval"]
        + ["progress"] * 2 + ["checkpoint", "eval", "finished"])
    started = events[0]
    assert started == {"event": "started", "command": "train", "runtime": "torch", "device": "cpu", "total_steps": 8,
                       "train_examples": 16, "validation_examples": 8, "resumed_from_step": 0, "world_size": 1,
                       "trainable_parameters": started["trainable_parameters"]}
    # r 4 on the 7 projections of 2 layers, (in + out) * r each: q and o 64 + 64, k and v 64 + 32, the MLP 64 + 128
    assert started["trainable_parameters"] == 2 * 4 * (2 * 128 + 2 * 96 + 3 * 192)
    progress = of(events, "progress")
    schedule = LrSchedule("cosine", 0.01, 2, 8)
    assert [p["learning_rate"] for p in progress] == pytest.approx([schedule.at(s) for s in range(8)])
    assert [p["epoch"] for p in progress] == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0])
    assert all(p["grad_norm"] > 0 and p["tokens_per_second"] > 0 for p in progress)
    evals = of(events, "eval")
    assert [e["step"] for e in evals] == [3, 6, 8]
    best = min(evals, key=lambda e: e["valid_loss"])
    finished = events[-1]
    assert finished["best_step"] == best["step"]
    assert finished["outputs"] == {"adapter": str(workdir / "out" / "adapter"),
                                   "trainer_state": str(workdir / "out" / "trainer_state.json")}
    assert finished["metrics"] == {"global_step": 8, "early_stopped": False, "train_loss": progress[-1]["train_loss"],
                                   "best_valid_loss": best["valid_loss"], "valid_loss": evals[-1]["valid_loss"],
                                   "token_accuracy": evals[-1]["token_accuracy"]}

    adapter = workdir / "out" / "adapter"
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["task_type"] == "CAUSAL_LM" and config["bias"] == "none"
    assert (config["r"], config["lora_alpha"], config["lora_dropout"], config["use_rslora"]) == (4, 8, 0.1, True)
    assert len(config["target_modules"]) == 14 and config["base_model_name_or_path"] == str(workdir / "base")
    weights = tensors(adapter / "adapter_model.safetensors")
    assert weights["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].shape == (4, 64)
    assert weights["base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"].shape == (64, 4)
    assert all(t.dtype == torch.float32 for t in weights.values())
    # PEFT loads the output, and it scores what the best validation reported
    tuned = load_adapter(load_model(workdir / "base", torch.device("cpu")), adapter)
    assert validation_loss(tuned, workdir) == pytest.approx(best["valid_loss"], rel=1e-5)

    state = json.loads((workdir / "out" / "trainer_state.json").read_text())
    assert (state["global_step"], state["best_step"], state["best_metric"]) == (8, best["step"], best["valid_loss"])
    assert state["log_history"][0] == {"step": 1, "epoch": 0.25, "loss": progress[0]["train_loss"],
                                       "learning_rate": 0.0, "grad_norm": progress[0]["grad_norm"]}
    assert {"step": 3, "eval_loss": evals[0]["valid_loss"], "eval_token_accuracy": evals[0]["token_accuracy"]} \
        in state["log_history"]
    ckpt = workdir / "out" / "checkpoint-4"
    assert of(events, "checkpoint")[0] == {"event": "checkpoint", "step": 4, "dir": str(ckpt)}
    assert {"adapter_config.json", "adapter_model.safetensors", "optimizer.safetensors", "rng_state.safetensors",
            "trainer_checkpoint.json", "trainer_state.json"} <= {p.name for p in ckpt.iterdir()}
    moments = tensors(ckpt / "optimizer.safetensors")
    names = set(tensors(ckpt / "adapter_model.safetensors"))
    assert set(moments) == {f"exp_avg.{n}" for n in names} | {f"exp_avg_sq.{n}" for n in names}
    record = json.loads((ckpt / "trainer_checkpoint.json").read_text())
    assert (record["global_step"], record["epoch"], record["step_in_epoch"], record["optimizer_step"]) == (4, 0, 4, 4)
    assert not list((workdir / "out").glob(".*")), "no temporary directories are left behind"


def test_a_full_fine_tune_without_validation_writes_the_last_weights_as_a_hugging_face_model(workdir):
    spec = write_spec(workdir, method={"type": "full"}, hyperparameters={"learning_rate": 1e-3}, save_steps=None)
    code, events = train_here(spec, workdir)
    assert code == 0
    check_events(events)
    assert events[0]["trainable_parameters"] == sum(p.numel() for p in load_model(workdir / "base", "cpu").parameters())
    assert events[-1]["best_step"] == 8 and "model" in events[-1]["outputs"]
    out = workdir / "out" / "model"
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja"} <= {
        p.name for p in out.iterdir()}
    tuned = load_model(out, torch.device("cpu"))
    base = load_model(workdir / "base", torch.device("cpu"))
    saved = tensors(out / "model.safetensors")
    assert all(t.dtype == torch.float32 for t in saved.values())
    assert set(saved) == {n for n, _ in base.named_parameters()}
    changed = [n for n, p in tuned.named_parameters() if not torch.equal(p, dict(base.named_parameters())[n])]
    assert len(changed) == len(saved)
    state = json.loads((workdir / "out" / "trainer_state.json").read_text())
    assert state["global_step"] == 8 and state["best_step"] == 8 and state["best_metric"] is None


@pytest.mark.parametrize("method", [lora(), {"type": "full"}], ids=["lora", "full"])
def test_packing_batch_size_and_accumulation_do_not_change_what_a_token_weighs(tmp_path, tiny_llama, method):
    # 8 examples in one step, however they are laid out: the same loss, gradient norm and update
    runs = {}
    for name, hyper in {"8x1": {"batch_size": 8}, "2x4": {"batch_size": 2, "gradient_accumulation_steps": 4},
                        "1x8": {"batch_size": 1, "gradient_accumulation_steps": 8},
                        "packed": {"batch_size": 8, "packing": True}}.items():
        workdir = tmp_path / name
        workdir.mkdir()
        workdir_with(workdir, tiny_llama, train_rows=8)
        hyper.update(epochs=3, learning_rate=1e-3)
        code, events = train_here(write_spec(workdir, method=method, hyperparameters=hyper), workdir)
        assert code == 0
        runs[name] = curve(events)
    reference = runs.pop("8x1")
    assert len(reference) == 3
    for name, run in runs.items():
        assert [s for s, *_ in run] == [1, 2, 3]
        for (_, loss, lr, norm), (_, ref_loss, ref_lr, ref_norm) in zip(run, reference, strict=True):
            assert loss == pytest.approx(ref_loss, rel=1e-5), name
            assert norm == pytest.approx(ref_norm, rel=1e-4), name
            assert lr == ref_lr


def test_the_best_validation_is_kept_and_early_stopping_ends_the_run(tmp_path, tiny_llama):
    workdir = workdir_with(tmp_path, tiny_llama, train_rows=8)
    # training teaches one answer, validation expects another: the validation loss rises after the first steps
    write_jsonl(workdir / "train.jsonl", chats(8, answer=lambda i: "yes yes yes"))
    write_jsonl(workdir / "validation.jsonl", chats(4, offset=50, answer=lambda i: "no no no"))
    spec = write_spec(workdir, validation=True, method=lora(r=8), eval_steps=2, early_stopping_patience=2,
                      save_steps=None, hyperparameters={"epochs": 20, "batch_size": 4, "learning_rate": 0.05})
    code, events = train_here(spec, workdir)
    assert code == 0
    check_events(events)
    evals = of(events, "eval")
    losses = [e["valid_loss"] for e in evals]
    best = losses.index(min(losses))
    assert len(evals) == best + 3, "stops after two validations without a lower loss"
    finished = events[-1]
    assert finished["metrics"]["early_stopped"] is True
    assert finished["metrics"]["global_step"] == evals[-1]["step"] < 40
    assert finished["best_step"] == evals[best]["step"]
    tuned = load_adapter(load_model(workdir / "base", torch.device("cpu")), workdir / "out" / "adapter")
    assert validation_loss(tuned, workdir) == pytest.approx(min(losses), rel=1e-5)


def test_the_gradient_norm_is_reported_before_clipping(tmp_path, tiny_llama):
    runs = {}
    for clip in (0, 1e-3):
        workdir = tmp_path / str(clip)
        workdir.mkdir()
        workdir_with(workdir, tiny_llama)
        code, events = train_here(write_spec(workdir, hyperparameters={"max_grad_norm": clip}), workdir)
        runs[clip] = curve(events)
    assert runs[0][0] == runs[1e-3][0]
    assert runs[0][1][1] != runs[1e-3][1][1], "clipping changes the update"


def test_gradient_checkpointing_recomputes_the_same_losses(tmp_path, tiny_llama):
    runs = {}
    for checkpointing in (False, True):
        workdir = tmp_path / str(checkpointing)
        workdir.mkdir()
        workdir_with(workdir, tiny_llama)
        spec = write_spec(workdir, method=lora(dropout=0.1),
                          hyperparameters={"gradient_checkpointing": checkpointing, "packing": True})
        runs[checkpointing] = curve(train_here(spec, workdir)[1])
    for a, b in zip(runs[False], runs[True], strict=True):
        assert a == pytest.approx(b, rel=1e-5)


def test_bf16_autocast_trains_on_the_cpu_close_to_fp32(tmp_path, tiny_llama):
    runs = {}
    for precision in ("fp32", "bf16"):
        workdir = tmp_path / precision
        workdir.mkdir()
        workdir_with(workdir, tiny_llama)
        code, events = train_here(write_spec(workdir, precision=precision), workdir)
        assert code == 0
        runs[precision] = [loss for _, loss, _, _ in curve(events)]
    assert runs["bf16"] == pytest.approx(runs["fp32"], rel=2e-2)
    adapter = tensors(tmp_path / "bf16" / "out" / "adapter" / "adapter_model.safetensors")
    assert all(t.dtype == torch.float32 for t in adapter.values()), "master weights stay float32"


def test_fp16_is_refused_on_the_cpu(workdir):
    with pytest.raises(WorkerFailure) as e:
        train_here(write_spec(workdir, precision="fp16"), workdir)
    assert e.value.code == "bad_spec" and "fp16" in e.value.message
