"""Rows of examples as the tensors a forward pass needs, with no example seeing another.

A row lays its examples end to end and is padded to the longest row of the micro-batch. Every token carries
its position *within its example* (positions restart at each example, so rotary embeddings see each example
as if it were alone) and a segment id (which example of the row it belongs to; padding is segment -1 and
has no targets). Attention is block-diagonal causal: a query attends to the keys of its own segment at or
before it, never across an example boundary. Padding attends only to padding, so no attention row is empty.

transformers (5.17) passes a 4D boolean mask ``[batch, 1, query, key]`` through ``create_causal_mask``
unchanged (``_preprocess_mask_arguments`` returns early for 4D masks) and its SDPA integration hands it to
``scaled_dot_product_attention`` as ``attn_mask`` with ``is_causal=False``, where ``True`` means "attend" —
on CPU and CUDA alike. A 4D mask also bypasses the sliding-window masks transformers would build, so the
window is applied here for the models that use one (Mistral with ``sliding_window``; Qwen2's sliding layers,
which take a mask per layer type). A batch with one example per row and no padding passes no mask at all,
which keeps SDPA's ``is_causal`` fast path (flash attention on CUDA).

A *flat* batch (``flat=True``) lays every example of the micro-batch end to end in a single row with no padding
and records each example's length; it passes no mask and goes with ``attention.segment_attention``, which attends
example by example. The trainer uses it on the CPU, where it saves the padding and the masked attention.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch

from .data import IGNORE, Encoded
from .plan import Row

PAD_SEGMENT = -1


@dataclass(frozen=True)
class Batch:
    """``[rows, length]`` tensors of one micro-batch."""

    input_ids: torch.Tensor
    targets: torch.Tensor
    position_ids: torch.Tensor
    segments: torch.Tensor
    #: flat positions (``row * length + t``) that carry a target, and the targets there
    target_index: torch.Tensor
    target_ids: torch.Tensor
    #: tokens that carry a loss
    target_count: int
    #: tokens that are not padding
    token_count: int
    #: a flat batch's example lengths in order (a CPU tensor, read by ``segment_attention``); None for rows
    lengths: torch.Tensor | None = None

    def to(self, device: torch.device) -> Batch:
        move = {"device": device, "non_blocking": True}
        return Batch(self.input_ids.to(**move), self.targets.to(**move), self.position_ids.to(**move),
                     self.segments.to(**move), self.target_index.to(**move), self.target_ids.to(**move),
                     self.target_count, self.token_count, self.lengths)

    @property
    def packed(self) -> bool:
        """Whether any row holds more than one example or any padding (so a mask is needed)."""
        return self.lengths is None and bool((self.segments != 0).any())


def make_batch(rows: Sequence[Row], examples: Sequence[Encoded], pad_id: int, flat: bool = False) -> Batch:
    if flat:
        everything = Row(tuple(i for row in rows for i in row.examples))
        lengths = torch.tensor([len(examples[i]) for i in everything.examples], dtype=torch.long)
        return replace(make_batch([everything], examples, pad_id), lengths=lengths)
    length = max(sum(len(examples[i]) for i in row.examples) for row in rows)
    shape = (len(rows), length)
    ids = torch.full(shape, pad_id, dtype=torch.long)
    targets = torch.full(shape, IGNORE, dtype=torch.long)
    positions = torch.zeros(shape, dtype=torch.long)
    segments = torch.full(shape, PAD_SEGMENT, dtype=torch.long)
    target_count = token_count = 0
    for r, row in enumerate(rows):
        at = 0
        for segment, index in enumerate(row.examples):
            e = examples[index]
            n = len(e)
            ids[r, at:at + n] = torch.tensor(e.input_ids, dtype=torch.long)
            targets[r, at:at + n] = torch.tensor(e.targets, dtype=torch.long)
            positions[r, at:at + n] = torch.arange(n)
            segments[r, at:at + n] = segment
            at += n
            target_count += e.target_count
            token_count += n
        # padding continues counting positions, so that they are valid for the rotary table
        positions[r, at:] = torch.arange(length - at)
    target_index = (targets.reshape(-1) != IGNORE).nonzero().squeeze(1)
    return Batch(ids, targets, positions, segments, target_index, targets.reshape(-1)[target_index], target_count,
                 token_count)


def block_causal_mask(segments: torch.Tensor, sliding_window: int | None = None) -> torch.Tensor:
    """``[rows, 1, L, L]`` booleans: query q may attend key k iff both lie in one segment and k <= q
    (and q - k < sliding_window, when there is one)."""
    length = segments.shape[-1]
    q = torch.arange(length, device=segments.device)
    allowed = q[None, :] <= q[:, None]
    if sliding_window is not None:
        allowed = allowed & (q[:, None] - q[None, :] < sliding_window)
    same = segments[:, :, None] == segments[:, None, :]
    return (same & allowed[None]).unsqueeze(1)


def attention_mask_for(config, batch: Batch) -> torch.Tensor | dict[str, torch.Tensor] | None:
    """What the decoder's ``attention_mask`` argument takes for ``batch`` under ``config`` (see the module
    comment): None for plain causal rows, else the block-diagonal mask, per layer type where the model has
    sliding-window layers."""
    if not batch.packed:
        return None
    window = getattr(config, "sliding_window", None)
    layer_types = getattr(config, "layer_types", None) or ()
    if config.model_type == "qwen2" and "sliding_attention" in layer_types:
        return {"full_attention": block_causal_mask(batch.segments),
                "sliding_attention": block_causal_mask(batch.segments, window)}
    if config.model_type == "mistral" and window is not None:
        return block_causal_mask(batch.segments, window)
    return block_causal_mask(batch.segments)
