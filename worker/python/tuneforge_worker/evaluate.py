"""``evaluate``: per example, the loss over the reference answer and a generation compared with it.

For each example (docs/WORKER_PROTOCOL.md, "evaluate"): the mean token loss over the reference answer's
target tokens (the tokens training learns, ``data.Encoder``), the greedy next-token accuracy on them, and,
unless ``max_new_tokens`` is 0, a generation from the prompt (chat: the conversation before the last
assistant turn, rendered with the generation prompt; completion: the prompt) compared with the reference,
both stripped of surrounding whitespace. A preference pair is scored as its chosen answer, and its line adds the
summed log-probabilities of the chosen and the rejected answer (as DPO sums them, ``dpo``) and which is higher. One
JSON line per example, as the djl runtime's ``Evaluator``
writes it, because eval-service computes its metrics from these lines; the totals go in ``finished``, token
weighted (every target token counts the same, whichever example it is in).

The results are written as ``<output>.partial`` and renamed when every example is scored, so a results file
that exists is complete (a pod's sync sidecar uploads it as soon as it appears). SIGTERM ends the run at the
next token or example: the partial file is removed, ``stopped`` is emitted, exit 143.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F

from .data import IGNORE, Completion, Encoded, Encoder, Example, Preference, prompt_of, read_examples, render_chat
from .errors import ExitCode, WorkerFailure
from .events import EventSink
from .generate import GenerationStopped, Generator, stop_token_ids
from .model import load_adapter, load_model, load_tokenizer, pick_model_dir, resolve_device
from .spec import EvalSpec
from .stop import StopSignal

#: prompts generated together; bounded so that padding to the longest stays cheap (the djl runtime's too)
GENERATION_BATCH = 16


@dataclass(frozen=True)
class ExampleResult:
    """One line of the results file; the generation fields are absent when ``max_new_tokens`` is 0, the preference
    fields unless the data are preference pairs."""

    index: int
    loss: float
    tokens: int
    token_accuracy: float
    generated: str | None = None
    reference: str | None = None
    exact_match: bool | None = None
    chosen_logp: float | None = None
    rejected_logp: float | None = None
    prefers_chosen: bool | None = None

    def to_json(self) -> str:
        fields = {k: _number(v) for k, v in asdict(self).items() if v is not None}
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class TokenScore:
    """Summed loss and exactly predicted tokens over an example's target tokens."""

    nll: float
    correct: int
    tokens: int

    @property
    def loss(self) -> float:
        return self.nll / max(1, self.tokens)

    @property
    def accuracy(self) -> float:
        return self.correct / max(1, self.tokens)


@dataclass
class Totals:
    nll: float = 0.0
    correct: int = 0
    tokens: int = 0
    generated: int = 0
    matches: int = 0
    pairs: int = 0
    preferred: int = 0
    margin: float = 0.0

    def add(self, score: TokenScore, result: ExampleResult) -> None:
        self.nll += score.nll
        self.correct += score.correct
        self.tokens += score.tokens
        if result.exact_match is not None:
            self.generated += 1
            self.matches += int(result.exact_match)
        if result.prefers_chosen is not None:
            self.pairs += 1
            self.preferred += int(result.prefers_chosen)
            self.margin += result.chosen_logp - result.rejected_logp

    @property
    def loss(self) -> float:
        return self.nll / max(1, self.tokens)

    def metrics(self, examples: int) -> dict:
        metrics = {"examples": examples, "valid_loss": self.loss, "perplexity": _exp(self.loss),
                   "token_accuracy": self.correct / max(1, self.tokens), "tokens": self.tokens}
        if self.generated:
            metrics["exact_match"] = self.matches / self.generated
        if self.pairs:
            metrics["preference_accuracy"] = self.preferred / self.pairs
            metrics["logp_margin"] = self.margin / self.pairs
        return metrics


class _Stopped(Exception):
    pass


def evaluate(spec: EvalSpec, events: EventSink, stop: StopSignal, batch_size: int = GENERATION_BATCH) -> int:
    examples = read_examples(spec.data_file, spec.data_format)
    base, adapter = model_dirs(spec)
    device = resolve_device(spec.device)
    tokenizer = load_tokenizer(base)
    model = load_model(base, device)
    if adapter is not None:
        model = load_adapter(model, adapter).eval()
    events.emit("started", command="evaluate", runtime="torch", device=spec.device, total_steps=len(examples),
                train_examples=len(examples), trainable_parameters=0, resumed_from_step=0)
    scorer = Scorer(model, tokenizer, Encoder(tokenizer, spec.max_seq_length),
                    Generator(model, tokenizer, stop_token_ids(base, tokenizer)), spec, stop)
    totals = Totals()
    spec.output.parent.mkdir(parents=True, exist_ok=True)
    partial = spec.output.with_name(spec.output.name + ".partial")
    started, done = time.monotonic(), 0
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            for start in range(0, len(examples), batch_size):
                chunk = examples[start: start + batch_size]
                for score, result in scorer.score(start, chunk):
                    totals.add(score, result)
                    out.write(result.to_json() + "\n")
                done += len(chunk)
                elapsed = time.monotonic() - started
                events.emit("progress", step=done, total_steps=len(examples), epoch=0.0, train_loss=totals.loss,
                            learning_rate=0.0, grad_norm=0.0,
                            tokens_per_second=scorer.tokens_seen / elapsed if elapsed > 0 else 0.0,
                            eta_seconds=elapsed / done * (len(examples) - done))
        os.replace(partial, spec.output)
    except (_Stopped, GenerationStopped):
        partial.unlink(missing_ok=True)
        events.emit("stopped", step=done, reason=stop.reason or "SIGTERM")
        return int(ExitCode.TERMINATED)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    events.emit("finished", best_step=0, outputs={"results": str(spec.output)}, metrics=totals.metrics(len(examples)))
    return int(ExitCode.DONE)


def model_dirs(spec: EvalSpec) -> tuple[Path, Path | None]:
    """The base model and the adapter: the spec's (``--adapter`` already folded in), or, when ``base_model`` is
    itself a PEFT adapter directory, the base it names and that adapter."""
    base, embedded = pick_model_dir(spec.base_model)
    if embedded is not None and spec.adapter is not None:
        raise WorkerFailure.bad_spec(f"base_model: {spec.base_model} is a LoRA adapter, and adapter names another "
                                     f"({spec.adapter}); give the base model as base_model")
    return base, spec.adapter if spec.adapter is not None else embedded


class Scorer:
    """Scores examples in batches: their losses one by one, their generations together."""

    def __init__(self, model, tokenizer, encoder: Encoder, generator: Generator, spec: EvalSpec, stop: StopSignal):
        self.model = model
        self.tokenizer = tokenizer
        self.encoder = encoder
        self.generator = generator
        self.spec = spec
        self.stop = stop
        self.tokens_seen = 0  # the tokens read for the loss and generated, for tokens_per_second

    def score(self, first: int, chunk: list[Example]) -> list[tuple[TokenScore, ExampleResult]]:
        scores = []
        for example in chunk:
            if self.stop.requested:
                raise _Stopped()
            encoded = self.encoder.encode(example)
            scores.append(token_score(self.model, encoded))
            self.tokens_seen += len(encoded)
        params = self.spec.generation
        preferences = [self.preference(e, s) for e, s in zip(chunk, scores, strict=True)]
        if params.max_new_tokens == 0:
            return [(s, ExampleResult(first + i, s.loss, s.tokens, s.accuracy, **p))
                    for i, (s, p) in enumerate(zip(scores, preferences, strict=True))]
        prompts, references = [], []
        for i, example in enumerate(chunk):
            prompt, reference = self.prompt(example, first + i)
            prompts.append(prompt)
            references.append(reference)
        # Example i samples with seed + i, whatever batch it falls in.
        outputs = self.generator.generate(prompts, replace(params, seed=params.seed + first),
                                          should_stop=lambda: self.stop.requested)
        self.tokens_seen += sum(len(o.tokens) for o in outputs)
        return [(s, ExampleResult(first + i, s.loss, s.tokens, s.accuracy, o.text, ref, o.text.strip() == ref.strip(),
                                  **p))
                for i, (s, o, ref, p) in enumerate(zip(scores, outputs, references, preferences, strict=True))]

    def preference(self, example: Example, chosen: TokenScore) -> dict:
        """A pair's summed log-probabilities of both answers (the chosen one's is its scored reference)."""
        if not isinstance(example, Preference):
            return {}
        rejected = self.encoder.encode(example.answered(example.rejected))
        rejected_logp = -token_score(self.model, rejected).nll
        self.tokens_seen += len(rejected)
        chosen_logp = -chosen.nll
        return {"chosen_logp": chosen_logp, "rejected_logp": rejected_logp,
                "prefers_chosen": chosen_logp > rejected_logp}

    def prompt(self, example: Example, index: int) -> tuple[list[int], str]:
        """The prompt's token ids, as training renders it, and the reference answer."""
        prompt, reference = prompt_of(example)
        if isinstance(example, Completion):
            ids = self.tokenizer(prompt, add_special_tokens=True)["input_ids"]
        else:
            text = render_chat(self.tokenizer, prompt, True)
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if not ids:
            raise WorkerFailure.bad_data(f"{self.spec.data_file.name}: example {index}: the prompt has no tokens to "
                                         "generate from")
        return list(ids), reference


def token_score(model, encoded: Encoded) -> TokenScore:
    """Summed negative log-likelihood and greedy hits over the example's target tokens, one forward pass that
    computes logits only where there is a target (a vocabulary-wide row per position is the big tensor)."""
    positions = [t for t, target in enumerate(encoded.targets) if target != IGNORE]
    if not positions:
        return TokenScore(0.0, 0, 0)
    device = next(model.parameters()).device
    ids = torch.tensor([encoded.input_ids[: positions[-1] + 1]], dtype=torch.long, device=device)
    targets = torch.tensor([encoded.targets[t] for t in positions], dtype=torch.long, device=device)
    with torch.inference_mode():
        logits = model(input_ids=ids, logits_to_keep=torch.tensor(positions, device=device)).logits[0].float()
        nll = F.cross_entropy(logits, targets, reduction="sum", ignore_index=IGNORE)
        correct = (logits.argmax(dim=-1) == targets).sum()
    return TokenScore(float(nll.double().item()), int(correct.item()), len(positions))


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _number(value):
    """As the djl runtime's JSON writer puts them: a loss that is not finite becomes "NaN" or "Infinity"."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value
