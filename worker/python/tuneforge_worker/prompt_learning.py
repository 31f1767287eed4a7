"""Prompt tuning and prefix tuning (docs/WORKER_PROTOCOL.md, "Prompt and prefix tuning"): PEFT's PROMPT_TUNING
and PREFIX_TUNING adapters, trained and run by this runtime's own code paths.

PEFT's ``PeftModelForCausalLM.forward`` puts the virtual tokens in front of whatever it is given, every call: it
cannot continue from a key/value cache (a prefix-tuned model's cache would get the prefix again), drops the
position ids of prompt tuning, and reads ``logits_to_keep`` positions without the virtual tokens' offset. So the
runtime never calls it. ``VirtualTokenLM`` is the base causal LM with the adapter's virtual tokens before every
sequence, as PEFT computes it on an unpadded sequence, and otherwise the interface the runtime's code uses: the
caller's masks, positions and ``logits_to_keep`` speak of its own tokens only; the virtual tokens are added in
front of the mask (always attended to) and the positions are shifted by ``num_virtual_tokens``, in the first call
and in every call that continues a cache. Prompt tuning's virtual tokens sit at positions 0 to n - 1 and are the
first entries of the cache; prefix tuning's prefix *is* the first n entries of every layer's cache. A left-padded
row has its padding between the virtual tokens and its own, hidden by the mask, so padding changes nothing.

``PromptLearningTrainer`` trains them with the loop of ``train.Trainer``: one example per row (no packing, no flat
batches: the virtual tokens come before each example), padded on the right under a 2D padding mask, the loss read
at the targets of the real tokens. ``PromptWeights`` writes the adapter as ``save_pretrained`` does: one float32
tensor ``prompt_embeddings`` (prefix tuning with the projection: the MLP's output, as PEFT saves it). Checkpoints add
``prompt_encoder.safetensors``, the trained tensors themselves (the embedding and, with the projection, the MLP),
which are what a resumed run needs and what the adapter file cannot give back.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn
from transformers.modeling_outputs import CausalLMOutputWithPast

from .checkpoint import ENCODER_FILE
from .errors import WorkerFailure
from .loss import LOGITS_PER_CHUNK, head_loss
from .packing import PAD_SEGMENT, Batch
from .spec import PrefixTuning, PromptTuning
from .train import Trainer
from .weights import TrainedWeights, _contiguous, write_adapter

#: the adapter file's one tensor
PROMPT_EMBEDDINGS = "prompt_embeddings"


def is_prompt_learning(peft_model) -> bool:
    return bool(getattr(peft_model.active_peft_config, "is_prompt_learning", False))


def peft_config(method: PromptTuning | PrefixTuning, base_model: Path, model_config):
    if isinstance(method, PromptTuning):
        from peft import PromptTuningConfig, PromptTuningInit

        if method.init == "text":
            return PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=method.num_virtual_tokens,
                                      prompt_tuning_init=PromptTuningInit.TEXT,
                                      prompt_tuning_init_text=method.init_text,
                                      tokenizer_name_or_path=str(base_model))
        return PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=method.num_virtual_tokens,
                                  prompt_tuning_init=PromptTuningInit.RANDOM)
    from peft import PrefixTuningConfig

    hidden = method.encoder_hidden_size if method.encoder_hidden_size is not None else model_config.hidden_size
    return PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=method.num_virtual_tokens,
                              prefix_projection=method.prefix_projection, encoder_hidden_size=hidden)


def attach_prompt_learning(model, method: PromptTuning | PrefixTuning, base_model: Path, seed: int):
    """PEFT's prompt encoder on ``model`` (frozen); a random start is drawn from ``seed``."""
    from peft import get_peft_model

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return get_peft_model(model, peft_config(method, base_model, model.config))


class VirtualTokenLM(nn.Module):
    """A causal LM with a prompt-learning adapter's virtual tokens before every sequence (see the module comment)."""

    def __init__(self, peft_model):
        super().__init__()
        self.peft = peft_model
        self.lm = peft_model.get_base_model()
        settings = peft_model.active_peft_config
        self.virtual = int(settings.num_virtual_tokens)
        # the model's config, but the caller's tokens have the positions the virtual tokens leave (a generation's
        # budget, ``generate.context_length``)
        self.config = copy.copy(self.lm.config)
        self.config.max_position_embeddings = self.lm.config.max_position_embeddings - self.virtual
        self.prefix = settings.peft_type.value == "PREFIX_TUNING"

    def hidden(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
               position_ids: torch.Tensor | None = None, past_key_values=None, use_cache: bool = False):
        """(the last hidden state of the caller's tokens ``[B, L, H]``, the cache)."""
        rows, length = input_ids.shape
        device = input_ids.device
        n = self.virtual
        if attention_mask is None:
            attention_mask = torch.ones((rows, length), dtype=torch.long, device=device)
        if position_ids is None:
            past = past_key_values.get_seq_length() - n if past_key_values is not None else 0
            position_ids = torch.arange(past, past + length, device=device).expand(rows, -1)
        mask = torch.cat([attention_mask.new_ones((rows, n)), attention_mask], dim=1)
        positions = position_ids + n
        embeds = None
        if past_key_values is None and self.prefix:
            past_key_values = self.peft.get_prompt(rows)
        elif past_key_values is None:
            tokens = self.lm.get_input_embeddings()(input_ids)
            prompts = self.peft.get_prompt(batch_size=rows).to(tokens.dtype)
            embeds = torch.cat([prompts, tokens], dim=1)
            positions = torch.cat([torch.arange(n, device=device).expand(rows, -1), positions], dim=1)
            input_ids = None
        out = self.lm.model(input_ids=input_ids, inputs_embeds=embeds, attention_mask=mask, position_ids=positions,
                            past_key_values=past_key_values, use_cache=use_cache)
        hidden = out.last_hidden_state
        if embeds is not None:
            hidden = hidden[:, n:]
        return hidden, out.past_key_values

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None, past_key_values=None, use_cache: bool = False,
                logits_to_keep: int | torch.Tensor = 0, **_ignored) -> CausalLMOutputWithPast:
        hidden, cache = self.hidden(input_ids, attention_mask, position_ids, past_key_values, use_cache)
        if torch.is_tensor(logits_to_keep):
            hidden = hidden[:, logits_to_keep]
        elif logits_to_keep > 0:
            hidden = hidden[:, -logits_to_keep:]
        return CausalLMOutputWithPast(logits=self.lm.lm_head(hidden), past_key_values=cache if use_cache else None)


class VirtualTokenLoss(nn.Module):
    """``loss.TokenLoss`` for rows with virtual tokens in front: the same arguments, ``attention_mask`` a 2D
    padding mask of the rows' own tokens."""

    def __init__(self, lm: VirtualTokenLM, chunk: int):
        super().__init__()
        self.lm = lm
        self.chunk = chunk

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor, target_index: torch.Tensor,
                target_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden, _ = self.lm.hidden(input_ids, attention_mask, position_ids)
        picked = hidden.reshape(-1, hidden.shape[-1]).index_select(0, target_index)
        return head_loss(self.lm.lm.lm_head, picked, target_ids, self.chunk)


class PromptWeights(TrainedWeights):
    """The prompt encoder trains (the model is frozen); the output is PEFT's adapter directory."""

    output_kind = "adapter"

    def __init__(self, peft_model):
        super().__init__(peft_model.get_base_model())
        self.peft_model = peft_model
        self.adapter_name = peft_model.active_adapter
        self.encoder = peft_model.prompt_encoder[self.adapter_name]

    def trainable(self) -> list[tuple[str, nn.Parameter]]:
        return [(name, p) for name, p in self.encoder.named_parameters() if p.requires_grad]

    def weights_file(self, directory: Path) -> Path:
        return directory / ENCODER_FILE

    def save(self, directory: Path, tensors: dict[str, torch.Tensor]) -> None:
        write_adapter(directory, self.peft_model.peft_config[self.adapter_name],
                      {PROMPT_EMBEDDINGS: prompt_embeddings(tensors)})

    def save_checkpoint(self, directory: Path, tensors: dict[str, torch.Tensor]) -> None:
        self.save(directory, tensors)
        save_file(_contiguous(tensors), str(directory / ENCODER_FILE), metadata={"format": "pt"})


def prompt_embeddings(tensors: dict[str, torch.Tensor]) -> torch.Tensor:
    """What PEFT saves of a prompt encoder with these trained tensors: the embedding, or the projection's output
    over it (``Linear``, ``tanh``, ``Linear``)."""
    embedding = tensors["embedding.weight"]
    if "transform.0.weight" not in tensors:
        return embedding
    with torch.no_grad():
        inner = torch.tanh(F.linear(embedding, tensors["transform.0.weight"], tensors["transform.0.bias"]))
        return F.linear(inner, tensors["transform.2.weight"], tensors["transform.2.bias"])


class PromptLearningTrainer(Trainer):
    """``train.Trainer`` for ``prompt_tuning`` and ``prefix_tuning`` (see the module comment)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.spec.method, PrefixTuning) and self.hp.gradient_checkpointing:
            # transformers' checkpointed decoder layers are called without the cache, which is the prefix
            raise WorkerFailure.bad_spec("hyperparameters.gradient_checkpointing: prefix_tuning cannot run with it "
                                         "(the checkpointed layers would drop the prefix); set it to false")
        self.flat = False
        # the virtual tokens come before each example: one example per row
        self.hp = replace(self.hp, packing=False)

    def _method_weights(self, model) -> TrainedWeights:
        peft_model = attach_prompt_learning(model, self.spec.method, self.spec.base_model, self.hp.seed)
        self.virtual_lm = VirtualTokenLM(peft_model)
        return PromptWeights(peft_model)

    def _objective(self) -> nn.Module:
        vocab = self.weights.causal_lm.lm_head.out_features
        return VirtualTokenLoss(self.virtual_lm, max(256, LOGITS_PER_CHUNK // vocab))

    def _forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        mask = (batch.segments != PAD_SEGMENT).long()
        return self.module(batch.input_ids, batch.position_ids, batch.target_index, batch.target_ids, mask)
