"""Tiny Llama-family checkpoints in Hugging Face layout, written by transformers itself (no hub).

The tokenizer is byte-level BPE without merges (256 byte tokens) plus ChatML's special tokens, built with the
``tokenizers`` library, and the chat template is ChatML in ``chat_template.jinja``, where current
transformers versions save it.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' "
    "+ '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def write_tokenizer(path: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.pre_tokenizers import ByteLevel

    vocab = {token: i for i, token in enumerate(SPECIAL)}
    # alphabet() comes from a hash set, in another order in every process: sorted, the ids are the same each time
    for b in sorted(ByteLevel.alphabet()):
        vocab.setdefault(b, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(SPECIAL)
    path.mkdir(parents=True, exist_ok=True)
    tok.save(str(path / "tokenizer.json"))
    (path / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        "model_max_length": 4096}))
    (path / "chat_template.jinja").write_text(CHATML)


def write_model(path: Path, model_type: str = "llama", *, hidden: int = 64, layers: int = 2, heads: int = 4,
                kv_heads: int = 2, intermediate: int = 128, tied: bool = False, max_positions: int = 512,
                shard_size: str | None = None, seed: int = 0, fan_in_init: bool = False) -> Path:
    """A random model of ``model_type`` (llama, mistral or qwen2) with the byte-level tokenizer.

    ``fan_in_init`` initialises as the djl runtime's ``TinyLlamaWriter`` does (embeddings N(0, 1), projections
    N(0, 1 / fan_in), norm weights 1 + N(0, 0.1)), the start the learning tests' recipes were tuned from.
    """
    from transformers import AutoModelForCausalLM, LlamaConfig, MistralConfig, Qwen2Config

    write_tokenizer(path)
    vocab = 256 + len(SPECIAL)
    common = dict(vocab_size=vocab, hidden_size=hidden, intermediate_size=intermediate, num_hidden_layers=layers,
                  num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=max_positions,
                  tie_word_embeddings=tied, eos_token_id=2, pad_token_id=0, bos_token_id=None)
    config = {"llama": LlamaConfig, "mistral": MistralConfig, "qwen2": Qwen2Config}[model_type](**common)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if not fan_in_init:  # spread the logits so that losses and parity checks are not flat
                if p.dim() >= 2:
                    p.normal_(0.0, 0.08)
            elif "embed_tokens" in name:
                p.normal_(0.0, 1.0)
            elif p.dim() >= 2:
                p.normal_(0.0, p.shape[1] ** -0.5)
            else:
                p.normal_(1.0, 0.1)
    kwargs = {"max_shard_size": shard_size} if shard_size else {}
    model.save_pretrained(str(path), safe_serialization=True, **kwargs)
    return path
