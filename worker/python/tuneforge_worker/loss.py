"""The training objective: summed next-token loss over the target tokens of a batch.

``Encoder`` aligns targets with positions (``targets[t]`` is what follows ``input_ids[:t + 1]``), so the loss
is read off the decoder's hidden state at each target position; there is no label shift and nothing crosses
from one packed example into the next. The LM head is applied only at target positions (prompts, padding and
context tokens never become ``[vocab]``-wide float32 logits), in chunks under activation checkpointing when
there are many, so that the logits of a long batch with a large vocabulary are never all alive at once.

The sum, not the mean, is returned: the trainer divides by the target count of the whole optimizer step (all
its micro-batches, on every rank), so packing, batch size, accumulation and the number of processes do not
change what a token weighs (as transformers does with ``num_items_in_batch``).

``TokenLoss`` is an ``nn.Module`` whose forward is the whole computation so that DDP, FSDP2 and
``torch.compile`` can wrap it as one unit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

#: float32 logits elements per chunk of the LM head (256 MiB)
LOGITS_PER_CHUNK = 1 << 26


class TokenLoss(nn.Module):
    def __init__(self, causal_lm: nn.Module):
        super().__init__()
        self.lm = causal_lm
        vocab = causal_lm.lm_head.out_features
        self.chunk = max(256, LOGITS_PER_CHUNK // vocab)

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor, target_index: torch.Tensor,
                target_ids: torch.Tensor, attention_mask=None,
                segment_lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(summed NLL in float32, how many targets greedy decoding gets right) of one batch.

        ``target_index`` holds the flat positions (``row * length + t``) that carry a target, ``target_ids``
        the targets there. ``segment_lengths`` (a flat batch's) goes to ``attention.segment_attention``.
        """
        extra = {} if segment_lengths is None else {"segment_lengths": segment_lengths}
        hidden = self.lm.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                               use_cache=False, **extra).last_hidden_state
        picked = hidden.reshape(-1, hidden.shape[-1]).index_select(0, target_index)
        return head_loss(self.lm.lm_head, picked, target_ids, self.chunk)


def head_loss(lm_head: nn.Module, hidden: torch.Tensor, targets: torch.Tensor,
              chunk: int) -> tuple[torch.Tensor, torch.Tensor]:
    if hidden.shape[0] <= chunk:
        return _nll_and_correct(lm_head, hidden, targets)
    nll = hidden.new_zeros((), dtype=torch.float32)
    correct = torch.zeros((), dtype=torch.long, device=hidden.device)
    for h, t in zip(hidden.split(chunk), targets.split(chunk), strict=True):
        part_nll, part_correct = checkpoint(_nll_and_correct, lm_head, h, t, use_reentrant=False)
        nll = nll + part_nll
        correct = correct + part_correct
    return nll, correct


def _nll_and_correct(lm_head: nn.Module, hidden: torch.Tensor, targets: torch.Tensor):
    logits = lm_head(hidden).float()
    nll = F.cross_entropy(logits, targets, reduction="sum")
    correct = (logits.detach().argmax(-1) == targets).sum()
    return nll, correct


def head_logps(lm_head: nn.Module, hidden: torch.Tensor, targets: torch.Tensor,
               chunk: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(log-probability in float32, whether greedy decoding gets it right) of each target, the LM head applied in
    chunks as in ``head_loss``."""
    if hidden.shape[0] <= chunk:
        return _logps_and_hits(lm_head, hidden, targets)
    parts = [checkpoint(_logps_and_hits, lm_head, h, t, use_reentrant=False)
             for h, t in zip(hidden.split(chunk), targets.split(chunk), strict=True)]
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


def _logps_and_hits(lm_head: nn.Module, hidden: torch.Tensor, targets: torch.Tensor):
    logits = lm_head(hidden).float()
    logps = -F.cross_entropy(logits, targets, reduction="none")
    return logps, logits.detach().argmax(-1) == targets
