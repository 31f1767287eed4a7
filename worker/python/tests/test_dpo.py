"""DPO (docs/WORKER_PROTOCOL.md, "DPO"): the answers' tokens, log-probabilities and the loss are TRL's on the same
batch; the reference is scored once, cached and read back by a resumed run that repeats the uninterrupted one; bad
specs and data are refused naming the field."""

import json
import math

import pytest
import torch
from conftest import run_worker
from training import (
    BETA,
    check_events,
    curve,
    dpo,
    dpo_spec,
    dpo_workdir,
    of,
    preference_rows,
    tensors,
    train_here,
    write_jsonl,
    write_spec,
)

from tuneforge_worker import data
from tuneforge_worker import train as train_module
from tuneforge_worker.attention import use_segment_attention
from tuneforge_worker.data import IGNORE, Encoder, read_examples
from tuneforge_worker.dpo import (
    DpoTrainer,
    SequenceLogps,
    dpo_loss,
    encode_pair,
    pair_batch,
    score_pairs,
)
from tuneforge_worker.errors import ExitCode, WorkerFailure
from tuneforge_worker.evaluate import token_score
from tuneforge_worker.model import load_model, load_tokenizer, lora_config
from tuneforge_worker.spec import Lora, read_train_spec

# --- TRL parity ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trl_trainer(tiny_llama, tmp_path_factory):
    """TRL's DPOTrainer on the tiny model with a LoRA adapter it attached itself (so its reference is the base with
    the adapter disabled), the adapter then moved away from zero so that policy and reference differ."""
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    rows = []
    for row in preference_rows(6):
        example = data.parse(row, "preference", "row")
        rows.append({"prompt": list(example.prompt), "chosen": [{"role": "assistant", "content": example.chosen}],
                     "rejected": [{"role": "assistant", "content": example.rejected}]})
    args = DPOConfig(output_dir=str(tmp_path_factory.mktemp("trl")), beta=BETA, loss_type=["sigmoid"], report_to=[],
                     max_length=128, use_cpu=True, bf16=False, fp16=False)
    model = load_model(tiny_llama, torch.device("cpu"))
    lora = Lora(r=4, dropout=0.0, target_modules=("all-linear",))
    trainer = DPOTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows),
                         processing_class=load_tokenizer(tiny_llama), peft_config=lora_config(lora))
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in trainer.model.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.2)
    trainer.model.eval()
    return trainer


def test_each_answer_is_the_tokens_trl_completes_the_prompt_with(trl_trainer, tiny_llama):
    encoder = Encoder(load_tokenizer(tiny_llama), 128)
    for row, tokenized in zip(preference_rows(6), trl_trainer.train_dataset, strict=True):
        pair = encode_pair(encoder, data.parse(row, "preference", "row"))
        for encoded, answer in ((pair.chosen, tokenized["chosen_ids"]), (pair.rejected, tokenized["rejected_ids"])):
            assert list(encoded.input_ids) == tokenized["prompt_ids"] + answer
            assert [t for t in encoded.targets if t != IGNORE] == answer


def test_the_log_probabilities_and_the_loss_are_trls_on_the_same_batch(trl_trainer, tiny_llama):
    trainer = trl_trainer
    batch = trainer.data_collator(list(trainer.train_dataset))
    trl_reference = trainer.compute_ref_log_probs(trainer.model, batch)
    trl_loss = trainer._compute_loss(trainer.model, batch, False).item()
    trl_metrics = {k: v[-1] for k, v in trainer._metrics["eval"].items()}
    # conservative DPO: TRL 1.x's sigmoid loss has no label smoothing; its "aot" loss on a single pair (sorting one
    # value changes nothing) is -(1 - ls) log σ(r) - ls log σ(-r)
    trainer.loss_types, trainer.label_smoothing = ["aot"], 0.2
    try:
        trl_smoothed = [trainer._compute_loss(trainer.model, trainer.data_collator([row]), False).item()
                        for row in trainer.train_dataset]
    finally:
        trainer.loss_types, trainer.label_smoothing = ["sigmoid"], 0.0

    encoder = Encoder(load_tokenizer(tiny_llama), 128)
    pairs = [encode_pair(encoder, data.parse(row, "preference", "row")) for row in preference_rows(6)]
    causal_lm = trainer.model.get_base_model()
    use_segment_attention(causal_lm)  # as the trainer on the CPU; after TRL's forwards, which pad and mask
    try:
        for flat in (True, False):  # the CPU's layout and CUDA's
            batch = pair_batch(pairs, list(range(len(pairs))), 0, flat)
            with torch.no_grad():
                with trainer.model.disable_adapter():
                    reference = score_pairs(SequenceLogps(causal_lm), causal_lm.config, batch)
                policy = score_pairs(SequenceLogps(causal_lm), causal_lm.config, batch)
            assert reference.chosen.tolist() == pytest.approx(trl_reference[0].tolist(), rel=1e-5)
            assert reference.rejected.tolist() == pytest.approx(trl_reference[1].tolist(), rel=1e-5)
            assert policy.chosen.mean().item() == pytest.approx(trl_metrics["logps/chosen"], rel=1e-5)
            assert policy.rejected.mean().item() == pytest.approx(trl_metrics["logps/rejected"], rel=1e-5)

            losses, r = dpo_loss(policy.chosen, policy.rejected, reference.chosen, reference.rejected, BETA)
            assert losses.mean().item() == pytest.approx(trl_loss, abs=1e-5)
            assert abs(trl_loss - math.log(2)) > 0.01, "the policy must differ from the reference for this to say much"
            assert r.mean().item() == pytest.approx(trl_metrics["rewards/margins"], abs=1e-5)
            assert (r > 0).double().mean().item() == pytest.approx(trl_metrics["rewards/accuracies"], abs=1e-7)
            smoothed, _ = dpo_loss(policy.chosen, policy.rejected, reference.chosen, reference.rejected, BETA, 0.2)
            assert smoothed.tolist() == pytest.approx(trl_smoothed, abs=1e-5)
    finally:
        causal_lm.set_attn_implementation("sdpa")


# --- the reference, once ---------------------------------------------------------------------------------------


def test_the_reference_is_scored_once_and_a_resumed_run_reads_it_and_repeats_the_uninterrupted_run(
        tmp_path, tiny_llama, monkeypatch):
    hyper = {"max_steps": 4, "batch_size": 2, "gradient_accumulation_steps": 2, "lr_scheduler": "constant",
             "learning_rate": 0.01}
    whole = dpo_workdir(tmp_path / "whole", tiny_llama)
    code, uninterrupted = train_here(dpo_spec(whole, hyperparameters=hyper, eval_steps=2, save_steps=None), whole)
    assert code == 0

    loads, scored = [], []
    real_load, real_reference = train_module.load_model, DpoTrainer._compute_reference
    monkeypatch.setattr(train_module, "load_model", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    monkeypatch.setattr(DpoTrainer, "_compute_reference", lambda self, m: scored.append(m) or real_reference(self, m))
    workdir = dpo_workdir(tmp_path / "resumed", tiny_llama)
    code, first = train_here(dpo_spec(workdir, hyperparameters={**hyper, "max_steps": 2}, eval_steps=2, save_steps=2,
                                      resume_from="latest"), workdir)
    assert code == 0 and (len(loads), len(scored)) == (1, 1)  # one model, scored once
    # a new adapter is the reference: the first step's pairs all have r = 0
    step = of(check_events(first), "progress")[0]
    assert step["train_loss"] == pytest.approx(math.log(2), abs=1e-6)
    assert (step["reward_accuracy"], step["reward_margin"]) == (0.0, pytest.approx(0.0, abs=1e-6))

    # the cache holds the base model's log-probabilities of both answers, training and validation pairs in order
    cache = json.loads((workdir / "out" / "reference_logps.json").read_text())
    base, encoder = load_model(tiny_llama, torch.device("cpu")), Encoder(load_tokenizer(tiny_llama), 128)
    for name in ("train", "validation"):
        examples = read_examples(workdir / f"{name}.jsonl", "preference")
        assert len(cache[name]["chosen"]) == len(cache[name]["rejected"]) == len(examples)
        for i, example in enumerate(examples):
            for answer in ("chosen", "rejected"):
                logp = -token_score(base, encoder.encode(example.answered(getattr(example, answer)))).nll
                assert cache[name][answer][i] == pytest.approx(logp, rel=1e-5)

    monkeypatch.setattr(DpoTrainer, "_compute_reference", lambda self, m: pytest.fail("the reference was scored again"))
    code, resumed = train_here(dpo_spec(workdir, hyperparameters=hyper, eval_steps=2, save_steps=2,
                                        resume_from="latest"), workdir)
    assert code == 0 and resumed[0]["resumed_from_step"] == 2 and len(loads) == 2
    assert curve(check_events(resumed)) == curve(uninterrupted)[2:]
    assert of(resumed, "eval") == of(uninterrupted, "eval")[1:]
    adapter = "out/adapter/adapter_model.safetensors"
    expected, got = tensors(whole / adapter), tensors(workdir / adapter)
    assert all(torch.equal(expected[k], got[k]) for k in expected) and expected.keys() == got.keys()


def test_a_reference_cached_for_other_data_is_scored_again(tmp_path, tiny_llama, monkeypatch):
    scored = []
    real_reference = DpoTrainer._compute_reference
    monkeypatch.setattr(DpoTrainer, "_compute_reference", lambda self, m: scored.append(m) or real_reference(self, m))
    workdir = dpo_workdir(tmp_path, tiny_llama)
    spec = dpo_spec(workdir, hyperparameters={"max_steps": 1}, save_steps=None)
    cache = workdir / "out" / "reference_logps.json"
    assert train_here(spec, workdir)[0] == 0
    before = json.loads(cache.read_text())
    write_jsonl(workdir / "train.jsonl", preference_rows(8, offset=50))
    assert train_here(spec, workdir)[0] == 0
    after = json.loads(cache.read_text())
    assert len(scored) == 2
    assert after["fingerprint"] != before["fingerprint"] and after["train"] != before["train"]
    assert after["validation"] == before["validation"]


def test_progress_eval_and_finished_report_dpo_rewards(tmp_path, tiny_llama):
    workdir = dpo_workdir(tmp_path, tiny_llama)
    code, events = train_here(dpo_spec(workdir, hyperparameters={"max_steps": 3, "batch_size": 4}, eval_steps=3,
                                       save_steps=None), workdir)
    assert code == 0
    check_events(events)
    assert all({"reward_accuracy", "reward_margin"} <= e.keys() for e in of(events, "progress") + of(events, "eval"))
    finished = of(events, "finished")[0]
    last_eval = of(events, "eval")[-1]
    assert finished["outputs"]["adapter"].endswith("adapter")
    for key in ("valid_loss", "token_accuracy", "reward_accuracy", "reward_margin"):
        assert finished["metrics"][key] == last_eval[key]
    state = json.loads((workdir / "out" / "trainer_state.json").read_text())
    assert {"reward_accuracy", "reward_margin"} <= state["log_history"][0].keys()
    assert (workdir / "out" / "adapter" / "adapter_config.json").is_file()


# --- refusals ----------------------------------------------------------------------------------------------------


def test_dpo_on_chat_data_fails_as_a_bad_spec_naming_the_format(tmp_path, tiny_llama):
    workdir = dpo_workdir(tmp_path, tiny_llama)
    spec = write_spec(workdir, method=dpo(), data={"train": "train.jsonl", "format": "chat"})
    code, events, _ = run_worker("train", "--spec", str(spec), "--workdir", str(workdir), cwd=workdir)
    failed = check_events(events)[-1]
    assert (code, failed["event"], failed["code"]) == (ExitCode.BAD_INPUT, "failed", "bad_spec")
    assert 'data.format: must be "preference", got "chat"' in failed["message"]


@pytest.mark.parametrize("method, fmt, message", [
    (dpo(), None, "data.format: required"),
    ({"type": "lora"}, "preference", 'method.type: must be "dpo", got "lora"'),
    ({"type": "full"}, "preference", 'method.type: must be "dpo", got "full"'),
    ({"type": "lora", "beta": 0.1}, "chat", "method.beta: not allowed here"),
    (dpo(label_smoothing=0.5), "preference", "method.label_smoothing: must be < 0.5, got 0.5"),
    (dpo(beta=0), "preference", "method.beta: must be > 0, got 0"),
])
def test_a_dpo_spec_that_does_not_fit_names_the_field(tmp_path, method, fmt, message):
    doc = {"base_model": "base", "data": {"train": "t.jsonl"}, "method": method}
    if fmt:
        doc["data"]["format"] = fmt
    (tmp_path / "spec.json").write_text(json.dumps(doc))
    with pytest.raises(WorkerFailure) as e:
        read_train_spec(tmp_path / "spec.json", tmp_path)
    assert e.value.code == "bad_spec" and message in e.value.message, e.value.message


@pytest.mark.parametrize("line, message", [
    ({"prompt": "a", "chosen": "b"}, "train.jsonl line 2: rejected: must be a string"),
    ({"prompt": "a", "rejected": "b"}, "train.jsonl line 2: chosen: must be a string"),
    ({"chosen": "a", "rejected": "b"}, "train.jsonl line 2: prompt: must be a string"),
    ({"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}], "rejected": "c"},
     "train.jsonl line 2: messages: the last message must be the chosen assistant answer"),
])
def test_a_bad_preference_line_is_bad_data_naming_the_line_and_field(tmp_path, line, message):
    write_jsonl(tmp_path / "train.jsonl", [preference_rows(1)[0], line])
    with pytest.raises(WorkerFailure) as e:
        read_examples(tmp_path / "train.jsonl", "preference")
    assert e.value.code == "bad_data" and e.value.message == message
