"""DPO: a LoRA adapter trained on preference pairs with TRL's sigmoid loss (docs/WORKER_PROTOCOL.md, "DPO").

A pair is two chat examples, the prompt answered with the chosen and with the rejected answer, encoded as chat
training encodes them (``data.Preference.answered``), so an answer's tokens are exactly those chat training puts
the loss on. ``logp(answer)`` is the sum of their log-probabilities (``SequenceLogps``, the per-sequence
counterpart of ``loss.TokenLoss``: the LM head only where there is a target).

The reference is the base model itself: before the adapter is attached the loaded float32 model scores every pair
of the training and validation data once, in the order of the data, with no autocast, and the sums are kept in
``output_dir/reference_logps.json`` with a fingerprint of the data; a run that finds a file with its fingerprint
(a resumed run) reads it instead of scoring again. So no second model is ever in memory, and the reference does
not drift with the precision the policy trains in. Then the base is cast to its training dtype and the adapter
attached.

A step's loss is the mean over its pairs (every micro-batch's) of
``-(1 - label_smoothing) * log σ(r) - label_smoothing * log σ(-r)`` with
``r = beta * ((policy(chosen) - reference(chosen)) - (policy(rejected) - reference(rejected)))``: TRL's ``sigmoid``
loss (which since TRL 1.0 ignores label smoothing) with the conservative-DPO smoothing TRL's sigmoid loss had
before; ``tests/test_dpo.py`` checks it against TRL's own code. Packing does not apply: a pair's two sequences are
two examples of a micro-batch, laid out as the trainer lays out any micro-batch (flat on the CPU, rows on CUDA).

Several processes (``torchrun``) train as LoRA does, under DDP: rank 0 reads or scores the reference and sends it to
the others; each rank takes its share of a step's pairs and scales its summed loss by ``world_size / pairs in the
step``, so that DDP's average is the gradient of the step's mean loss, as with one process.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from .attention import use_segment_attention
from .data import Encoded, Encoder, Preference, read_examples
from .loss import LOGITS_PER_CHUNK, head_logps
from .packing import PAD_SEGMENT, Batch, attention_mask_for, make_batch
from .plan import Row, Step, TrainingPlan, build, fingerprint
from .train import StepResult, Trainer, dropout_seed

log = logging.getLogger(__name__)

REFERENCE_FILE = "reference_logps.json"


@dataclass(frozen=True)
class EncodedPair:
    """A preference pair as two encoded chat examples. Its token ids and targets (the chosen answer's, then the
    rejected one's) are what the plan's fingerprint reads."""

    chosen: Encoded
    rejected: Encoded

    def __len__(self) -> int:
        return len(self.chosen) + len(self.rejected)

    @property
    def input_ids(self) -> tuple[int, ...]:
        return self.chosen.input_ids + self.rejected.input_ids

    @property
    def targets(self) -> tuple[int, ...]:
        return self.chosen.targets + self.rejected.targets


def encode_pair(encoder: Encoder, pair: Preference) -> EncodedPair:
    return EncodedPair(encoder.encode(pair.answered(pair.chosen)), encoder.encode(pair.answered(pair.rejected)))


@dataclass(frozen=True)
class PairScores:
    """Per pair of a batch: the summed log-probabilities of each answer, and the chosen answer's greedy hits."""

    chosen: torch.Tensor
    rejected: torch.Tensor
    chosen_hits: torch.Tensor


def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, reference_chosen: torch.Tensor,
             reference_rejected: torch.Tensor, beta: float,
             label_smoothing: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss of each pair, its reward margin ``r``): see the module comment."""
    r = beta * ((policy_chosen - reference_chosen) - (policy_rejected - reference_rejected))
    losses = -(1 - label_smoothing) * F.logsigmoid(r) - label_smoothing * F.logsigmoid(-r)
    return losses, r


class SequenceLogps(nn.Module):
    """Summed log-probability of each example's targets, and how many of them greedy decoding gets right."""

    def __init__(self, causal_lm: nn.Module):
        super().__init__()
        self.lm = causal_lm
        self.chunk = max(256, LOGITS_PER_CHUNK // causal_lm.lm_head.out_features)

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor, target_index: torch.Tensor,
                target_ids: torch.Tensor, target_example: torch.Tensor, examples: int, attention_mask=None,
                segment_lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``target_example`` says which example (in batch order) each target belongs to; the result has
        ``examples`` entries."""
        extra = {} if segment_lengths is None else {"segment_lengths": segment_lengths}
        hidden = self.lm.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                               use_cache=False, **extra).last_hidden_state
        picked = hidden.reshape(-1, hidden.shape[-1]).index_select(0, target_index)
        logps, hits = head_logps(self.lm.lm_head, picked, target_ids, self.chunk)
        sums = logps.new_zeros(examples).index_add(0, target_example, logps)
        counts = torch.zeros(examples, dtype=torch.long, device=hits.device).index_add(0, target_example, hits.long())
        return sums, counts


def pair_batch(pairs: list[EncodedPair], indices: list[int], pad_id: int, flat: bool) -> Batch:
    """Both answers of the pairs ``indices`` as one micro-batch, in the order chosen, rejected, chosen, ..."""
    examples = [e for i in indices for e in (pairs[i].chosen, pairs[i].rejected)]
    return make_batch(tuple(Row((k,)) for k in range(len(examples))), examples, pad_id, flat=flat)


def score_pairs(module: nn.Module, config, batch: Batch) -> PairScores:
    """A ``pair_batch`` through ``SequenceLogps`` (or a module wrapping one); ``config`` is the model's."""
    examples = int(batch.position_ids.eq(0).logical_and(batch.segments.ne(PAD_SEGMENT)).sum())
    logps, hits = module(batch.input_ids, batch.position_ids, batch.target_index, batch.target_ids,
                         targets_by_example(batch), examples, attention_mask_for(config, batch), batch.lengths)
    return PairScores(logps[0::2], logps[1::2], hits[0::2])


def targets_by_example(batch: Batch) -> torch.Tensor:
    """For each target of ``batch``, the ordinal of its example: examples are laid out in order, each starting at
    position 0 (padding is no example)."""
    starts = (batch.position_ids.reshape(-1) == 0) & (batch.segments.reshape(-1) != PAD_SEGMENT)
    return (starts.long().cumsum(0) - 1).index_select(0, batch.target_index)


class DpoTrainer(Trainer):
    """The trainer's loop, checkpoints, validation bookkeeping and outputs, with pairs, a cached reference and the
    DPO loss."""

    def _read_data(self, encoder: Encoder) -> TrainingPlan:
        data = self.spec.data
        self.train_set = [encode_pair(encoder, p) for p in read_examples(data.train, data.format)]
        self.validation = ([encode_pair(encoder, p) for p in read_examples(data.validation, data.format)]
                           if data.validation is not None else [])
        return build(self.train_set, replace(self.hp, packing=False))

    def _load_dtype(self) -> torch.dtype:
        return torch.float32  # the reference is scored in float32; _prepared_base casts afterwards

    def _prepared_base(self, model):
        if self.flat:
            use_segment_attention(model)
        reference = self.runtime.broadcast(self._reference(model) if self.runtime.main else None)
        self.reference = {name: tuple(t.to(self.device) for t in pair) for name, pair in reference.items()}
        return model.to(self._base_dtype())

    def _objective(self) -> nn.Module:
        return SequenceLogps(self.weights.causal_lm)

    # --- the reference -----------------------------------------------------------------------------------

    def _reference(self, model) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """{"train" | "validation": (chosen, rejected)} summed log-probabilities of the base model, read from the
        cache when it holds this data's, else computed and cached."""
        path = self.spec.output_dir / REFERENCE_FILE
        digest = self._reference_fingerprint()
        cached = _read_reference(path, digest)
        if cached is not None:
            log.info("reference log-probabilities read from %s", path)
            return cached
        reference = self._compute_reference(model)
        self.spec.output_dir.mkdir(parents=True, exist_ok=True)
        _write_reference(path, digest, reference)
        return reference

    def _reference_fingerprint(self) -> str:
        return fingerprint(self.train_set + self.validation,
                           [len(self.train_set), str(self.spec.base_model.resolve())])

    def _compute_reference(self, model) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        scorer = SequenceLogps(model)
        out = {}
        with torch.no_grad():
            for name, pairs in (("train", self.train_set), ("validation", self.validation)):
                parts = [self._scores(scorer, pairs, batch) for batch in self._batches(len(pairs))]
                out[name] = (torch.cat([p.chosen for p in parts]).cpu() if parts else torch.zeros(0),
                             torch.cat([p.rejected for p in parts]).cpu() if parts else torch.zeros(0))
        log.info("reference log-probabilities of %d pairs computed", sum(len(c) for c, _ in out.values()))
        return out

    # --- steps and validation ------------------------------------------------------------------------------

    def _train_step(self, planned: Step) -> StepResult:
        method, hp = self.spec.method, self.hp
        count = sum(len(row.examples) for row in planned.rows)
        tokens = sum(len(self.train_set[i]) for row in planned.rows for i in row.examples)
        world = self.runtime.world_size
        micro_batches = self._micro_batches(planned)
        reference_chosen, reference_rejected = self.reference["train"]
        loss_sum = wins = margin_sum = 0.0
        self.module.train()
        for m, rows in enumerate(micro_batches):
            torch.manual_seed(dropout_seed(hp.seed, self.step, m, self.runtime.rank))
            indices = [i for row in rows for i in row.examples]
            with self._no_sync(m < len(micro_batches) - 1), self._autocast():
                scores = self._scores(self.module, self.train_set, indices)
            at = torch.tensor(indices, dtype=torch.long, device=self.device)
            losses, r = dpo_loss(scores.chosen, scores.rejected, reference_chosen[at], reference_rejected[at],
                                 method.beta, method.label_smoothing)
            # the step's loss is the mean over all its pairs; DDP averages over ranks, hence the world-size factor
            loss = losses.sum() * (world / count)
            (self.scaler.scale(loss) if self.scaler is not None else loss).backward()
            loss_sum += float(losses.detach().double().sum())
            wins += float((r > 0).sum())
            margin_sum += float(r.detach().double().sum())
        self.module.eval()
        lr, norm = self._optimizer_step()
        loss_sum, wins, margin_sum = self.runtime.sum([loss_sum, wins, margin_sum])
        return StepResult(loss_sum / count, lr, norm, tokens,
                          {"reward_accuracy": wins / count, "reward_margin": margin_sum / count})

    def _validation_scores(self) -> tuple[float, float, dict]:
        method = self.spec.method
        reference_chosen, reference_rejected = self.reference["validation"]
        loss_sum = wins = margin_sum = hits = 0.0
        self.module.eval()
        with torch.no_grad(), self._autocast():
            for indices in self.runtime.share_batches(self._batches(len(self.validation)), []):
                scores = self._scores(self.module, self.validation, indices)
                at = torch.tensor(indices, dtype=torch.long, device=self.device)
                losses, r = dpo_loss(scores.chosen.float(), scores.rejected.float(), reference_chosen[at],
                                     reference_rejected[at], method.beta, method.label_smoothing)
                loss_sum += float(losses.double().sum())
                wins += float((r > 0).sum())
                margin_sum += float(r.double().sum())
                hits += int(scores.chosen_hits.sum())
        loss_sum, wins, margin_sum, hits = self.runtime.sum([loss_sum, wins, margin_sum, hits])
        count = len(self.validation)
        targets = sum(p.chosen.target_count for p in self.validation)
        return (loss_sum / count, hits / max(1, targets),
                {"reward_accuracy": wins / count, "reward_margin": margin_sum / count})

    def _batches(self, count: int) -> list[list[int]]:
        """Pair indices in order, ``batch_size`` at a time."""
        bs = self.hp.batch_size
        return [list(range(s, min(count, s + bs))) for s in range(0, count, bs)]

    def _scores(self, module: nn.Module, pairs: list[EncodedPair], indices: list[int]) -> PairScores:
        """Both answers of the pairs ``indices`` in one forward pass (chosen, rejected, chosen, ...)."""
        config = module.lm.config if isinstance(module, SequenceLogps) else self.config_of_model
        if not indices:  # this rank's share is empty: one padding token and no target keep the collectives in step
            empty = score_pairs(module, config, self._batch((), []))
            return PairScores(empty.chosen[:0], empty.chosen[:0], empty.chosen_hits[:0])
        return score_pairs(module, config, pair_batch(pairs, indices, self.pad_id, self.flat).to(self.device))


def _read_reference(path, digest: str) -> dict[str, tuple[torch.Tensor, torch.Tensor]] | None:
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    if doc.get("fingerprint") != digest:
        return None
    return {name: (torch.tensor(doc[name]["chosen"], dtype=torch.float32),
                   torch.tensor(doc[name]["rejected"], dtype=torch.float32)) for name in ("train", "validation")}


def _write_reference(path, digest: str, reference: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> None:
    """Written beside and renamed, so the file that exists is complete. float32 values are exact as JSON numbers."""
    doc = {"fingerprint": digest,
           **{name: {"chosen": chosen.tolist(), "rejected": rejected.tolist()}
              for name, (chosen, rejected) in reference.items()}}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc) + "\n", encoding="utf-8")
    os.replace(tmp, path)
