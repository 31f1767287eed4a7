"""Attention over examples laid end to end in one sequence, each example attending only to itself.

A flat batch (``packing.make_batch(..., flat=True)``) holds every example of a micro-batch back to back in one
row of ``[1, tokens]``, with no padding, and says how long each example is (``Batch.lengths``). The projections,
norms and MLPs then work on exactly the real tokens, and attention runs example by example: SDPA's causal kernel
on each example's slice of the queries, keys and values. That costs the sum of the examples' squared lengths
instead of the square of a whole row's length under a block-diagonal mask, and keeps SDPA's ``is_causal`` fast
path (the flash kernel on the CPU), which an explicit mask turns off. An example longer than a sliding window
(Mistral, Qwen2's sliding layers) gets the window as an explicit mask.

The function is registered with transformers' ``AttentionInterface`` under ``NAME``; a model switched to it
(``use_segment_attention``) reads the lengths from the ``segment_lengths`` keyword that the decoder hands every
attention layer, and without it behaves as transformers' own SDPA attention. transformers builds no mask for an
implementation it does not know, so nothing else changes on the way.
"""

from __future__ import annotations

import torch
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward

NAME = "tuneforge_segments"


@torch.compiler.disable
def segment_attention(module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, attention_mask,
                      dropout: float = 0.0, scaling: float | None = None, segment_lengths: torch.Tensor | None = None,
                      sliding_window: int | None = None, **kwargs) -> tuple[torch.Tensor, None]:
    """``query`` ``[1, heads, tokens, head_dim]`` (keys and values with their own head count) to the output
    ``[1, tokens, heads, head_dim]``, as transformers' attention functions return it."""
    if segment_lengths is None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    lengths = segment_lengths.tolist()
    if len(lengths) == 1:
        return _attend(module, query, key, value, dropout, scaling, sliding_window), None
    outputs = [_attend(module, q, k, v, dropout, scaling, sliding_window)
               for q, k, v in zip(query.split(lengths, 2), key.split(lengths, 2), value.split(lengths, 2),
                                  strict=True)]
    return torch.cat(outputs, dim=1), None


def _attend(module, q, k, v, dropout, scaling, sliding_window) -> torch.Tensor:
    length = q.shape[2]
    mask = None
    if sliding_window is not None and length > sliding_window:
        positions = torch.arange(length, device=q.device)
        distance = positions[:, None] - positions[None, :]
        mask = ((distance >= 0) & (distance < sliding_window))[None, None]
    out, _ = sdpa_attention_forward(module, q, k, v, mask, dropout=dropout, scaling=scaling)
    return out


AttentionInterface.register(NAME, segment_attention)


def use_segment_attention(causal_lm) -> None:
    """Switches ``causal_lm`` (a transformers causal LM) to ``segment_attention``."""
    causal_lm.set_attn_implementation(NAME)
