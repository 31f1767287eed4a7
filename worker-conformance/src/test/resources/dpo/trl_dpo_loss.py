"""TRL's DPO loss and transformers' log-probabilities on a batch of pairs the djl runtime scored.

    python trl_dpo_loss.py BATCH.json REPORT.json

BATCH.json (written by DpoTrlParityTest): the pairs as TRL lays them out (rows 0..n-1 the chosen sequences, rows
n..2n-1 the rejected ones, right-padded: ``input_ids``, ``attention_mask``, ``completion_mask``), the djl
runtime's ``logits`` of those rows, the reference log-probabilities, ``beta``, ``label_smoothing`` and the model
and adapter directories. REPORT.json gets:

- ``sigmoid_loss``: ``DPOTrainer._compute_loss`` with ``loss_type="sigmoid"`` on the djl logits (a stand-in
  model returns them) and the precomputed reference log-probabilities, so everything from the logits on is TRL's
  code: the log-softmax, the completion mask, the sums, the loss and its mean, and TRL's reward metrics.
- ``smoothed_loss``: the same with label smoothing. TRL 1.x's ``sigmoid`` ignores ``label_smoothing``; the smoothed
  form ``-(1 - eps) log sigmoid(r) - eps log sigmoid(-r)`` (what ``sigmoid`` computed in TRL 0.x) is its ``aot``
  loss on a batch of one pair (whose sort is the identity), so it is that, pair by pair, averaged.
- ``logps_chosen``/``logps_rejected``: transformers + PEFT's summed answer log-probabilities of the same rows,
  masked as TRL masks them, and ``transformers_sigmoid_loss``, TRL's loss on transformers' own logits.
"""

import json
import sys
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import torch
from peft import PeftModel
from transformers import LlamaForCausalLM
from trl.trainer.dpo_trainer import DPOTrainer
from trl.trainer.utils import selective_log_softmax


class FixedLogits:
    """A stand-in for the policy model whose forward returns the given logits."""

    training = True

    def __init__(self, logits):
        self.logits = logits

    def __call__(self, **kwargs):
        return SimpleNamespace(logits=self.logits)


def trl_loss(model, inputs, beta, loss_type, label_smoothing):
    """DPOTrainer._compute_loss on ``inputs``, with the trainer's state reduced to what that method reads."""
    accelerator = SimpleNamespace(device=torch.device("cpu"), gather_for_metrics=lambda t: t, gather=lambda t: t,
                                  unwrap_model=lambda m: m)
    trainer = SimpleNamespace(model=model, accelerator=accelerator, aux_loss_enabled=False, ld_alpha=None,
                              precompute_ref_logps=True, f_divergence_type="reverse_kl", loss_types=[loss_type],
                              loss_weights=[1.0], beta=beta, label_smoothing=label_smoothing, use_weighting=False,
                              _metrics=defaultdict(lambda: defaultdict(list)), _total_train_tokens=0, _tp_size=1,
                              args=SimpleNamespace())
    with torch.no_grad():
        loss = DPOTrainer._compute_loss(trainer, model, inputs, False)
    return loss.item(), {k: v[-1] for k, v in trainer._metrics["train"].items()}


def pair_rows(inputs, i, n):
    """The inputs of pair i alone: rows i and n + i."""
    return {k: v[[i, n + i]] for k, v in inputs.items() if k not in ("ref_chosen_logps", "ref_rejected_logps")} | {
        "ref_chosen_logps": inputs["ref_chosen_logps"][i:i + 1],
        "ref_rejected_logps": inputs["ref_rejected_logps"][i:i + 1],
    }


def main():
    batch = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    inputs = {
        "input_ids": torch.tensor(batch["input_ids"], dtype=torch.long),
        "attention_mask": torch.tensor(batch["attention_mask"], dtype=torch.long),
        "completion_mask": torch.tensor(batch["completion_mask"], dtype=torch.long),
        "ref_chosen_logps": torch.tensor(batch["ref_chosen_logps"], dtype=torch.float32),
        "ref_rejected_logps": torch.tensor(batch["ref_rejected_logps"], dtype=torch.float32),
    }
    logits = torch.tensor(batch["logits"], dtype=torch.float32)
    beta = batch["beta"]
    n = len(batch["ref_chosen_logps"])

    sigmoid_loss, metrics = trl_loss(FixedLogits(logits), inputs, beta, "sigmoid", 0.0)
    smoothed = [trl_loss(FixedLogits(logits[[i, n + i]]), pair_rows(inputs, i, n), beta, "aot",
                         batch["label_smoothing"])[0] for i in range(n)]

    model = LlamaForCausalLM.from_pretrained(batch["model"], dtype=torch.float32)
    model = PeftModel.from_pretrained(model, batch["adapter"]).eval()
    with torch.no_grad():
        own = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits
    per_token = selective_log_softmax(own[:, :-1, :], inputs["input_ids"][:, 1:])
    per_token[inputs["completion_mask"][:, 1:] == 0] = 0.0
    logps = per_token.sum(dim=1)
    transformers_loss, _ = trl_loss(FixedLogits(own), inputs, beta, "sigmoid", 0.0)

    report = {
        "sigmoid_loss": sigmoid_loss,
        "reward_accuracy": metrics["rewards/accuracies"],
        "reward_margin": metrics["rewards/margins"],
        "smoothed_loss": sum(smoothed) / n,
        "logps_chosen": logps[:n].tolist(),
        "logps_rejected": logps[n:].tolist(),
        "transformers_sigmoid_loss": transformers_loss,
    }
    Path(sys.argv[2]).write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
