"""Prompt tuning and prefix tuning: a run trains only the virtual tokens, writes PEFT's adapter, and PEFT itself,
on the plain base model, computes what the runtime's evaluation and generation compute with it."""

import json
import shutil

import pytest
import torch
import torch.nn.functional as F
from training import check_events, curve, of, tensors, train_here, workdir_with, write_spec

from tuneforge_worker.data import Encoder, prompt_of, read_examples, render_chat
from tuneforge_worker.errors import WorkerFailure
from tuneforge_worker.evaluate import token_score
from tuneforge_worker.generate import Generator
from tuneforge_worker.model import load_adapter, load_model, load_tokenizer
from tuneforge_worker.prompt_learning import attach_prompt_learning
from tuneforge_worker.serve import ServedModel
from tuneforge_worker.spec import Generation, PromptTuning

CPU = torch.device("cpu")
INIT_TEXT = "Reply briefly."
METHODS = {
    "prompt-random": {"type": "prompt_tuning", "num_virtual_tokens": 4},
    "prompt-text": {"type": "prompt_tuning", "num_virtual_tokens": 20, "init": "text", "init_text": INIT_TEXT},
    "prefix": {"type": "prefix_tuning", "num_virtual_tokens": 3},
    "prefix-projection": {"type": "prefix_tuning", "num_virtual_tokens": 3, "prefix_projection": True,
                          "encoder_hidden_size": 24},
}
# the tiny model: hidden 64, 2 layers, 4 heads of 16, 2 key-value heads (GQA)
HIDDEN, LAYERS, KV_DIM = 64, 2, 2 * 16
HYPER = {"packing": True, "learning_rate": 0.05}
#: trained in bf16 (evaluated in fp32 all the same)
BF16 = {"prompt-text", "prefix"}


def plain_peft(base, adapter):
    """The adapter as PEFT alone loads it: transformers' model, ``PeftModel.from_pretrained``."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32, local_files_only=True)
    return PeftModel.from_pretrained(model, str(adapter)).eval()


def peft_logits(peft, ids: list[int]) -> torch.Tensor:
    """PEFT's logits of the sequence's own tokens (prompt tuning puts the virtual tokens' logits first)."""
    with torch.no_grad():
        logits = peft(input_ids=torch.tensor([ids])).logits[0]
    return logits[-len(ids):]


def peft_greedy(peft, prompt: list[int], count: int, eos: int) -> list[int]:
    """Greedy decoding through PEFT's forward, the whole sequence again for each token (no cache)."""
    ids = list(prompt)
    for _ in range(count):
        token = int(peft_logits(peft, ids)[-1].argmax())
        if token == eos:
            break
        ids.append(token)
    return ids[len(prompt):]


@pytest.mark.parametrize("method", list(METHODS))
def test_a_run_trains_only_the_virtual_tokens_and_peft_computes_what_the_runtime_does(tmp_path, tiny_llama, method):
    workdir = workdir_with(tmp_path, tiny_llama, 16, 4)
    code, events = train_here(write_spec(workdir, method=METHODS[method], validation=True, hyperparameters=HYPER,
                                         precision="bf16" if method in BF16 else "fp32"), workdir)
    assert code == 0
    check_events(events)
    spec = METHODS[method]
    n = spec["num_virtual_tokens"]
    losses = [e["train_loss"] for e in of(events, "progress")]
    assert losses[-1] < losses[0]
    adapter = workdir / "out" / "adapter"
    assert events[-1]["outputs"]["adapter"] == str(adapter)
    assert sorted(p.name for p in adapter.iterdir()) == ["adapter_config.json", "adapter_model.safetensors"]
    config = json.loads((adapter / "adapter_config.json").read_text())
    saved = tensors(adapter / "adapter_model.safetensors")
    assert list(saved) == ["prompt_embeddings"]
    assert config["task_type"] == "CAUSAL_LM" and config["inference_mode"] is True
    assert config["num_virtual_tokens"] == n and config["num_layers"] == LAYERS
    assert config["base_model_name_or_path"] == str(workdir / "base")
    if spec["type"] == "prompt_tuning":
        assert config["peft_type"] == "PROMPT_TUNING"
        assert config["prompt_tuning_init"] == ("TEXT" if spec.get("init") == "text" else "RANDOM")
        if spec.get("init") == "text":
            assert config["prompt_tuning_init_text"] == INIT_TEXT
            assert config["tokenizer_name_or_path"] == str(workdir / "base")
        assert saved["prompt_embeddings"].shape == (n, HIDDEN)
        assert events[0]["trainable_parameters"] == n * HIDDEN
    else:
        assert config["peft_type"] == "PREFIX_TUNING"
        assert config["token_dim"] == KV_DIM and config["num_attention_heads"] == 2  # the key-value heads
        assert config["prefix_projection"] is spec.get("prefix_projection", False)
        assert saved["prompt_embeddings"].shape == (n, LAYERS * 2 * KV_DIM)
    assert saved["prompt_embeddings"].dtype == torch.float32

    base = workdir / "base"
    tokenizer = load_tokenizer(base)
    peft = plain_peft(base, adapter)
    runtime = load_adapter(load_model(base, CPU), adapter).eval()
    examples = read_examples(workdir / "validation.jsonl", "chat")
    encoder = Encoder(tokenizer, 128)
    for example in examples:
        encoded = encoder.encode(example)
        want = peft_logits(peft, list(encoded.input_ids))
        with torch.no_grad():
            got = runtime(input_ids=torch.tensor([encoded.input_ids])).logits[0]
        torch.testing.assert_close(got, want, atol=1e-4, rtol=0)
        # evaluate's loss over the answer
        keep = torch.tensor([t != -100 for t in encoded.targets])
        expected = F.cross_entropy(want[keep], torch.tensor(encoded.targets)[keep], reduction="sum").item()
        assert token_score(runtime, encoded).nll == pytest.approx(expected, abs=1e-3)

    # generation with a key/value cache, prompts of other lengths left-padded together, as evaluate and serve run it
    prompts = [tokenizer(render_chat(tokenizer, prompt_of(e)[0], True), add_special_tokens=False)["input_ids"]
               for e in examples[:3]]
    generator = Generator(runtime, tokenizer, frozenset({2}))
    assert generator.max_context == 512 - n, "the virtual tokens take their share of the model's context"
    generated = generator.generate(prompts, Generation(max_new_tokens=8))
    assert [list(g.tokens) for g in generated] == [peft_greedy(peft, p, 8, 2) for p in prompts]
    served = ServedModel.load(adapter, None, "cpu")
    assert served.generator.generate(prompts[:1], Generation(max_new_tokens=8))[0].tokens == generated[0].tokens


def test_prefix_tuning_refuses_gradient_checkpointing_which_would_drop_the_prefix(tmp_path, tiny_llama):
    workdir = workdir_with(tmp_path, tiny_llama, 4)
    spec = write_spec(workdir, method=METHODS["prefix"], hyperparameters={"gradient_checkpointing": True})
    with pytest.raises(WorkerFailure, match="gradient_checkpointing: prefix_tuning cannot run with it") as refused:
        train_here(spec, workdir)
    assert refused.value.code == "bad_spec"
    assert not (workdir / "out").exists()


def test_a_text_start_is_the_texts_token_embeddings_repeated_to_the_virtual_token_count(tiny_llama):
    model = load_model(tiny_llama, CPU)
    peft = attach_prompt_learning(model, PromptTuning(num_virtual_tokens=20, init="text", init_text=INIT_TEXT),
                                  tiny_llama, seed=1)
    ids = load_tokenizer(tiny_llama)(INIT_TEXT)["input_ids"]
    assert len(ids) < 20
    expected = model.get_input_embeddings().weight[(ids * 20)[:20]]
    torch.testing.assert_close(peft.prompt_encoder["default"].embedding.weight, expected, atol=0, rtol=0)


def test_a_resumed_prefix_tuning_run_continues_as_the_uninterrupted_one(tmp_path, tiny_llama):
    method = METHODS["prefix-projection"]
    hyper = {**HYPER, "epochs": 2, "batch_size": 2, "gradient_accumulation_steps": 2, "lr_scheduler": "cosine"}
    (tmp_path / "whole").mkdir()
    (tmp_path / "resumed").mkdir()
    whole = workdir_with(tmp_path / "whole", tiny_llama, 16, 4)
    code, reference = train_here(write_spec(whole, method=method, validation=True, hyperparameters=hyper,
                                            eval_steps=3, save_steps=4), whole)
    assert code == 0 and (whole / "out" / "checkpoint-4" / "prompt_encoder.safetensors").is_file()

    resumed_dir = workdir_with(tmp_path / "resumed", tiny_llama, 16, 4)
    shutil.copytree(whole / "out" / "checkpoint-4", resumed_dir / "checkpoint-4")
    code, resumed = train_here(write_spec(resumed_dir, method=method, validation=True, hyperparameters=hyper,
                                          eval_steps=3, save_steps=4, resume_from="checkpoint-4"), resumed_dir)
    assert code == 0 and resumed[0]["resumed_from_step"] == 4
    want = [c for c in curve(reference) if c[0] > 4]
    assert [c[0] for c in curve(resumed)] == [c[0] for c in want]
    for got, expected in zip(curve(resumed), want, strict=True):
        assert got == pytest.approx(expected, rel=1e-5, abs=1e-7)
    assert resumed[-1]["best_step"] == reference[-1]["best_step"]
    torch.testing.assert_close(tensors(resumed_dir / "out" / "adapter" / "adapter_model.safetensors"),
                               tensors(whole / "out" / "adapter" / "adapter_model.safetensors"), rtol=1e-5, atol=1e-6)

    other = write_spec(resumed_dir, "other.json", method=METHODS["prefix"], validation=True, hyperparameters=hyper,
                       resume_from="checkpoint-4")
    with pytest.raises(WorkerFailure, match="resume_from: .* was written by another method"):
        train_here(other, resumed_dir)

