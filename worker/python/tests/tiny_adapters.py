"""PEFT LoRA and prompt-tuning adapters for the tiny models, written with peft itself (no train.py needed)."""

from __future__ import annotations

from pathlib import Path

import torch

from tuneforge_worker.model import attach_lora, load_model
from tuneforge_worker.prompt_learning import attach_prompt_learning
from tuneforge_worker.spec import Lora, PromptTuning


def lora_model(base: Path, targets: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "down_proj"), r: int = 4,
               seed: int = 0, scale: float = 0.3):
    """The base model with a LoRA adapter whose B matrices are random, so that it changes the logits (a fresh
    adapter's B is zero)."""
    model = attach_lora(load_model(base, torch.device("cpu")), Lora(r=r, alpha=2.0 * r, dropout=0.0,
                                                                    target_modules=targets), seed)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=generator) * scale)
    return model.eval()


def write_adapter(base: Path, path: Path, **kwargs) -> Path:
    """A perturbed adapter (see ``lora_model``) saved in PEFT's layout, naming ``base`` as its base model."""
    lora_model(base, **kwargs).save_pretrained(str(path))
    return path


def write_prompt_adapter(base: Path, path: Path, virtual_tokens: int = 4, seed: int = 0) -> Path:
    """A PROMPT_TUNING adapter with random virtual tokens, saved by peft, naming ``base`` as its base model."""
    model = attach_prompt_learning(load_model(base, torch.device("cpu")), PromptTuning(virtual_tokens), base, seed)
    model.save_pretrained(str(path))
    return path
