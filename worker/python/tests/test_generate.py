"""Generation with the key/value cache: what transformers' ``generate`` gives, whatever the batch, and sampling
that keeps exactly the tokens transformers' warpers keep, reproducibly per seed; stop strings and streaming."""

import json
import shutil
from dataclasses import replace

import pytest
import torch
from tiny_adapters import lora_model

from tuneforge_worker.generate import (
    LENGTH,
    STOP,
    GeneratedText,
    GenerationStopped,
    Generator,
    candidates,
    draw,
    stop_token_ids,
)
from tuneforge_worker.model import load_model, load_tokenizer
from tuneforge_worker.spec import Generation

TEXTS = ["LoRA keeps the base weights frozen", "Numbers",
         "The trainer reads JSON lines, packs the examples into sequences, and"]


def greedy(max_new_tokens: int, **kwargs) -> Generation:
    return Generation(max_new_tokens=max_new_tokens, temperature=0.0, **kwargs)


def sampling(max_new_tokens: int, temperature=1.0, top_p=1.0, top_k=None, seed=0, stop=()) -> Generation:
    return Generation(max_new_tokens, temperature, top_p, top_k, seed, tuple(stop))


@pytest.fixture(scope="module", params=["llama", "mistral", "qwen2"])
def setup(request, model_factory):
    """A tiny model with a LoRA adapter that changes its logits (qwen2: biased q/k/v projections too)."""
    base = model_factory(request.param)
    tokenizer = load_tokenizer(base)
    model = lora_model(base, seed=3)
    prompts = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in TEXTS]
    return model, tokenizer, prompts


@pytest.fixture(scope="module")
def plain(tiny_llama):
    tokenizer = load_tokenizer(tiny_llama)
    model = load_model(tiny_llama, torch.device("cpu"))
    prompts = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in TEXTS]
    return model, tokenizer, prompts


def transformers_greedy(model, prompt, eos: int | None, max_new_tokens: int) -> list[int]:
    with torch.no_grad():
        out = model.generate(input_ids=torch.tensor([prompt]), attention_mask=torch.ones_like(torch.tensor([prompt])),
                             max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=eos, pad_token_id=0,
                             temperature=None, top_p=None, top_k=None)
    tokens = out[0, len(prompt):].tolist()
    return tokens[:-1] if eos is not None and tokens and tokens[-1] == eos else tokens


def test_cached_batched_greedy_decoding_gives_transformers_generate_token_for_token(setup):
    model, tokenizer, prompts = setup
    unstopped = Generator(model, tokenizer, frozenset()).generate(prompts, greedy(24))
    for prompt, g in zip(prompts, unstopped, strict=True):
        assert list(g.tokens) == transformers_greedy(model, prompt, None, 24)
        assert g.finish_reason == LENGTH
    # A token the first row produces early ends that row there: the batch goes on with a finished, padded row
    # beside running ones.
    eos = unstopped[0].tokens[3]
    stopped = Generator(model, tokenizer, frozenset({eos})).generate(prompts, greedy(24))
    assert len(stopped[0].tokens) <= 3 and stopped[0].finish_reason == STOP
    assert any(g.finish_reason == LENGTH for g in stopped), "some row runs the whole budget"
    for prompt, g in zip(prompts, stopped, strict=True):
        assert list(g.tokens) == transformers_greedy(model, prompt, eos, 24)
        assert g.text == tokenizer.decode(list(g.tokens), skip_special_tokens=True)


def test_a_prompt_alone_gives_what_it_gives_in_a_batch(setup):
    model, tokenizer, prompts = setup
    generator = Generator(model, tokenizer, frozenset({2}))
    params = sampling(20, temperature=1.3, top_p=0.95, top_k=40, seed=17)
    batch = generator.generate(prompts, params)
    for r, prompt in enumerate(prompts):
        alone = generator.generate([prompt], replace(params, seed=params.seed + r))[0]
        assert alone == batch[r], f"row {r}"


def test_a_tiny_top_p_or_a_top_k_of_1_is_greedy(plain):
    model, tokenizer, prompts = plain
    generator = Generator(model, tokenizer, frozenset())
    expected = generator.generate(prompts, greedy(16))
    assert generator.generate(prompts, sampling(16, 1.0, top_p=1e-9, seed=7)) == expected
    assert generator.generate(prompts, sampling(16, 1.5, top_k=1, seed=8)) == expected


def test_the_same_seed_gives_the_same_text_and_another_seed_another(plain):
    model, tokenizer, prompts = plain
    generator = Generator(model, tokenizer, frozenset())
    params = sampling(32, 1.0, top_p=0.95, top_k=50, seed=1234)
    first = generator.generate(prompts, params)
    assert generator.generate(prompts, params) == first
    assert [g.text for g in generator.generate(prompts, replace(params, seed=99))] != [g.text for g in first]
    assert [g.text for g in generator.generate(prompts, greedy(32))] != [g.text for g in first]


def dense(ids, weights, vocab):
    """Candidates as a probability for every token of the vocabulary."""
    probs = torch.zeros(weights.shape[0], vocab, dtype=torch.float64)
    if ids is None:
        return weights / weights.sum(-1, keepdim=True)
    return probs.scatter(-1, ids, weights) / weights.sum(-1, keepdim=True)


@pytest.mark.parametrize("temperature, top_k, top_p", [
    (1.0, None, 1.0), (0.7, 50, 1.0), (1.3, None, 0.9), (0.5, 20, 0.8), (2.0, 5, 0.3), (1.0, 300, 0.999)])
def test_sampling_keeps_the_tokens_and_probabilities_transformers_warpers_keep(temperature, top_k, top_p):
    from transformers.generation.logits_process import (
        LogitsProcessorList,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    logits = torch.randn(4, 259, generator=torch.Generator().manual_seed(5), dtype=torch.float64) * 3
    warpers = LogitsProcessorList([TemperatureLogitsWarper(temperature)] + ([TopKLogitsWarper(top_k)] if top_k else [])
                                  + ([TopPLogitsWarper(top_p)] if top_p < 1 else []))
    expected = torch.softmax(warpers(None, logits.clone()), dim=-1)
    actual = dense(*candidates(logits.float(), temperature, top_k, top_p), 259)
    assert torch.equal(actual > 0, expected > 0)
    torch.testing.assert_close(actual, expected, rtol=1e-5, atol=1e-6)


def test_top_k_and_top_p_draw_only_among_the_most_likely_tokens():
    logits = torch.tensor([[0.5, 3.0, -1.0, 2.9, 1.0, 2.95]])
    uniforms = torch.rand(2000, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ids, weights = candidates(logits, 5.0, 2, 1.0)
    assert set(draw(ids.expand(2000, -1), weights.expand(2000, -1), uniforms).tolist()) == {1, 5}
    ids, weights = candidates(logits, 1.0, None, 0.7)
    # p(1) + p(5) = 0.63 < 0.7 <= p(1) + p(5) + p(3) = 0.92
    assert set(draw(ids.expand(2000, -1), weights.expand(2000, -1), uniforms).tolist()) == {1, 3, 5}


def test_draws_follow_the_kept_probabilities():
    logits = torch.tensor([[0.5, 3.0, -1.0, 2.9, 1.0, 2.95]])
    n = 40000
    uniforms = torch.rand(n, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    for top_k, top_p in ((None, 1.0), (4, 0.9)):
        ids, weights = candidates(logits, 1.5, top_k, top_p)
        drawn = draw(None if ids is None else ids.expand(n, -1), weights.expand(n, -1), uniforms)
        frequencies = torch.bincount(drawn, minlength=6).double() / n
        torch.testing.assert_close(frequencies, dense(ids, weights, 6)[0], atol=0.01, rtol=0)


def test_a_stop_string_ends_generation_and_is_left_out_of_the_text(plain):
    model, tokenizer, prompts = plain
    generator = Generator(model, tokenizer, frozenset())
    whole = generator.generate([prompts[0]], greedy(40))[0].text
    at = next(i for i in range(6, len(whole) - 3) if whole[i: i + 3].isascii() and whole[i: i + 3].isprintable()
              and not any(c.isspace() for c in whole[i: i + 3]))
    stop = whole[at: at + 3]
    pieces = []
    cut = generator.generate([prompts[0]], greedy(40, stop=("never in the text", stop)),
                             on_text=lambda row, piece: pieces.append(piece))[0]
    assert cut.text == whole[: whole.index(stop)]
    assert cut.finish_reason == STOP and len(cut.tokens) < 40
    assert "".join(pieces) == cut.text, "streamed pieces add up to the text"
    assert not any(stop in p for p in pieces)


def test_streamed_pieces_add_up_to_each_rows_text(plain):
    model, tokenizer, prompts = plain
    streamed = ["", "", ""]

    def on_text(row, piece):
        streamed[row] += piece

    out = Generator(model, tokenizer, frozenset({2})).generate(prompts, sampling(30, 1.2, 0.9, None, 5, ["e t", "é"]),
                                                                on_text=on_text)
    assert streamed == [g.text for g in out]


def test_text_is_handed_out_only_once_it_cannot_change(tokenizer_of_tiny_llama):
    tokenizer = tokenizer_of_tiny_llama
    text = GeneratedText(lambda ids: tokenizer.decode(ids, skip_special_tokens=True), ["</answer>"])
    pieces = []
    for token in tokenizer("né</ans</answer>", add_special_tokens=False)["input_ids"]:
        if text.add(token):
            break
        pieces.append(text.take_settled())
    # "é" is two byte tokens; "</ans" could have been the start of the stop string until it was not
    assert pieces == ["n", "", "é", "", "", "", "", "", "</ans", "", "", "", "", "", "", ""]
    assert text.take_rest() == "" and text.text() == "né</ans" and text.stopped


@pytest.fixture(scope="module")
def tokenizer_of_tiny_llama(tiny_llama):
    return load_tokenizer(tiny_llama)


def test_the_budget_ends_generation_with_length_and_the_context_bounds_it(model_factory):
    base = model_factory(max_positions=32)
    tokenizer = load_tokenizer(base)
    generator = Generator(load_model(base, torch.device("cpu")), tokenizer, frozenset())
    prompts = [tokenizer("x" * n, add_special_tokens=False)["input_ids"] for n in (3, 28, 32, 40)]
    out = generator.generate(prompts, sampling(7, 0.7, seed=1))
    assert [len(g.tokens) for g in out] == [7, 4, 0, 0]
    assert {g.finish_reason for g in out} == {LENGTH}
    assert [g.tokens for g in generator.generate(prompts[:1], greedy(0))] == [()]


def test_should_stop_ends_a_generation_at_its_next_token(plain):
    model, tokenizer, prompts = plain
    seen = []
    with pytest.raises(GenerationStopped):
        Generator(model, tokenizer, frozenset()).generate(prompts[:1], greedy(50), on_text=lambda r, p: seen.append(p),
                                                          should_stop=lambda: len(seen) >= 3)
    assert len(seen) == 3


def test_generation_ends_at_the_tokenizers_eos_and_every_eos_token_id_of_the_configs(tiny_llama, tmp_path):
    model_dir = tmp_path / "model"
    shutil.copytree(tiny_llama, model_dir)
    (model_dir / "generation_config.json").write_text(json.dumps({"eos_token_id": [5, 6], "bos_token_id": 1}))
    config = json.loads((model_dir / "config.json").read_text())
    (model_dir / "config.json").write_text(json.dumps({**config, "eos_token_id": 7}))
    assert stop_token_ids(model_dir, load_tokenizer(model_dir)) == {2, 5, 6, 7}  # 2: <|im_end|>, the eos_token
