"""Text generation for ``evaluate`` and ``serve``, as the djl runtime's ``Generator`` does it.

Several prompts go through the model at once with a key/value cache: left-padded to a common length (the
padding hidden by the attention mask, positions counted from each prompt's own first token), they are read
in one forward pass; then each step feeds one token per row and reuses every earlier key and value. A row
that has finished keeps being fed padding, which the mask hides, until the last row is done.

Nothing a row produces depends on the other rows of its batch: row *r* draws from its own random stream,
seeded with ``seed + r``, one uniform number per token, and its budget is its own (``max_new_tokens``, less
where its prompt leaves less room in the model's context). Sampling follows transformers' order:
temperature, then top-k, then top-p.

A row ends at an end-of-sequence token (left out of its tokens), when its text contains a stop string (the
text is cut before it) or when its budget runs out. Text is handed to a listener as it becomes final, for
streaming: the pieces of a row add up to exactly its final text (see ``GeneratedText``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from .spec import Generation

STOP = "stop"  # an end-of-sequence token or a stop string
LENGTH = "length"  # the budget or the model's context ran out

TextListener = Callable[[int, str], None]


@dataclass(frozen=True)
class Generated:
    """One prompt's result.

    ``tokens`` are the generated ids without the end-of-sequence token that ended them (a stop string's
    tokens are included: they were generated); ``text`` is their decoding, special tokens skipped, cut before
    a stop string; ``finish_reason`` is ``stop`` or ``length``, in OpenAI's words.
    """

    tokens: tuple[int, ...]
    text: str
    finish_reason: str


class GenerationStopped(Exception):
    """``should_stop`` said so: the generation was abandoned at its next token."""


def stop_token_ids(model_dir: Path, tokenizer) -> frozenset[int]:
    """The tokens that end a generation: the tokenizer's eos token and every ``eos_token_id`` of config.json and
    generation_config.json (an id or a list), as transformers' ``generate`` uses them."""
    ids: set[int] = set()
    if tokenizer.eos_token is not None:
        eos = tokenizer.convert_tokens_to_ids(tokenizer.eos_token)
        if isinstance(eos, int) and eos != tokenizer.unk_token_id:
            ids.add(eos)
    for name in ("config.json", "generation_config.json"):
        path = model_dir / name
        if not path.is_file():
            continue
        eos = json.loads(path.read_text(encoding="utf-8")).get("eos_token_id")
        if isinstance(eos, int) and not isinstance(eos, bool):
            ids.add(eos)
        elif isinstance(eos, list):
            ids.update(i for i in eos if isinstance(i, int))
    return frozenset(ids)


def context_length(model) -> int:
    """The most tokens a prompt and its generation may take together."""
    return int(model.config.max_position_embeddings)


def pad_id(tokenizer) -> int:
    """What fills the left of shorter prompts (hidden by the mask, so any id would do)."""
    for token_id in (tokenizer.pad_token_id, tokenizer.eos_token_id):
        if token_id is not None:
            return int(token_id)
    return 0


# --- sampling --------------------------------------------------------------------------------------------


def candidates(logits: torch.Tensor, temperature: float, top_k: int | None, top_p: float
               ) -> tuple[torch.Tensor | None, torch.Tensor]:
    """The tokens each row may draw and their unnormalised weights, ``exp((logit - max) / temperature)``, after
    temperature, top-k and top-p in transformers' order.

    With top-k or top-p the candidates are sorted by descending logit (ties: lower id first), top-k keeps the
    first k, and top-p the smallest prefix whose probability reaches ``top_p`` (the most likely token always
    stays, so a tiny ``top_p`` is greedy); the ids come back as ``[B, K]`` and weights of dropped tokens are 0.
    Without either, every token of the vocabulary is a candidate in id order and the ids are None.
    Computed in float64, so a long tail of small probabilities does not round away.
    """
    x = logits.to(torch.float64)
    vocab = x.shape[-1]
    k = top_k if top_k is not None and top_k < vocab else None
    if k is None and top_p >= 1.0:
        return None, torch.exp((x - x.max(dim=-1, keepdim=True).values) / temperature)
    values, ids = torch.sort(x, dim=-1, descending=True, stable=True)
    if k is not None:
        values, ids = values[:, :k], ids[:, :k]
    weights = torch.exp((values - values[:, :1]) / temperature)
    if top_p < 1.0:
        probs = weights / weights.sum(dim=-1, keepdim=True)
        # the probability of the more likely tokens: a token stays while they have not reached top_p
        before = torch.cumsum(probs, dim=-1).roll(1, dims=-1)
        before[:, 0] = 0.0
        weights = torch.where(before < top_p, weights, torch.zeros_like(weights))
    return ids, weights


def draw(ids: torch.Tensor | None, weights: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
    """For each row, the candidate where the cumulative weight first exceeds ``u * total`` (inverse CDF)."""
    cumulative = torch.cumsum(weights, dim=-1)
    total = cumulative[:, -1:].contiguous()
    at = torch.searchsorted(cumulative, uniforms.to(cumulative)[:, None] * total, right=True)
    # u * total may round up to the total: take the last candidate with weight, never a dropped one
    last = torch.searchsorted(cumulative, total, right=False)
    at = torch.minimum(at, last)
    return at.squeeze(-1) if ids is None else ids.gather(-1, at).squeeze(-1)


# --- text ------------------------------------------------------------------------------------------------


class GeneratedText:
    """One row's tokens as text, as it grows: finds stop strings and says which text is final enough to stream.

    Text is held back while it could still change: a trailing replacement character (a character whose bytes
    are split across tokens) or a tail that could be the start of a stop string. Each token decodes the whole
    generation again, because decoders are not incremental in general (byte fallback, merged spaces); a
    generation is short next to the forward passes it costs. Without stop strings nothing is decoded until
    the text is asked for.
    """

    REPLACEMENT = "\ufffd"

    def __init__(self, decode: Callable[[Sequence[int]], str], stops: Sequence[str]):
        self._decode = decode
        self._stops = tuple(stops)
        self.tokens: list[int] = []
        self._text = ""
        self._decoded = True
        self.stopped = False
        self._handed_out = 0

    def add(self, token: int) -> bool:
        """Adds a token; True when the text now contains a stop string (and is cut before it)."""
        self.tokens.append(token)
        self._decoded = False
        if not self._stops:
            return False
        full = self.text()
        # A trailing replacement character may still become another character, so it cannot match yet.
        settled = full[: self._without_trailing_replacements(full, 0)]
        found = [at for at in (settled.find(stop) for stop in self._stops) if at >= 0]
        if found:
            self._text = full[: min(found)]
            self.stopped = True
        return self.stopped

    def text(self) -> str:
        """The text so far; once a stop string was found, the final text before it."""
        if not self._decoded and not self.stopped:
            self._text = self._decode(self.tokens)
            self._decoded = True
        return self._text

    def take_settled(self) -> str:
        """The settled text not handed out before; "" when there is none yet."""
        full = self.text()
        return self._take(full, len(full) if self.stopped else self._settled_end(full))

    def take_rest(self) -> str:
        """Everything not handed out yet: call once generation is over."""
        full = self.text()
        return self._take(full, len(full))

    def _take(self, full: str, end: int) -> str:
        if end <= self._handed_out or len(full) < self._handed_out:
            return ""
        piece = full[self._handed_out: end]
        self._handed_out = end
        return piece

    @classmethod
    def _without_trailing_replacements(cls, full: str, floor: int) -> int:
        end = len(full)
        while end > floor and full[end - 1] == cls.REPLACEMENT:
            end -= 1
        return end

    def _settled_end(self, full: str) -> int:
        end = self._without_trailing_replacements(full, self._handed_out)
        held = 0
        for stop in self._stops:
            # The longest tail that is a proper prefix of a stop string may yet become that stop string.
            for k in range(min(len(stop) - 1, end), held, -1):
                if full[end - k: end] == stop[:k]:
                    held = k
                    break
        return end - held


# --- the generator ---------------------------------------------------------------------------------------


@dataclass
class _Row:
    """One prompt's progress."""

    number: int  # the prompt's place in the request
    prompt: tuple[int, ...]
    text: GeneratedText
    random: random.Random
    budget: int
    result: Generated | None = None

    def __post_init__(self) -> None:
        self.position = len(self.prompt)  # where the next fed token sits: one more per step

    def accept(self, token: int, stop_ids: frozenset[int], produced: int) -> None:
        if token in stop_ids:
            self.finish(STOP)
        elif self.text.add(token):
            self.finish(STOP)
        elif produced == self.budget:
            self.finish(LENGTH)

    def finish(self, reason: str) -> None:
        self.result = Generated(tuple(self.text.tokens), self.text.text(), reason)


class Generator:
    """Generates from prompts (token ids) with one model; see the module comment."""

    def __init__(self, model, tokenizer, stop_ids: frozenset[int], max_context: int | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.stop_ids = frozenset(stop_ids)
        self.max_context = max_context if max_context is not None else context_length(model)
        self.pad_id = pad_id(tokenizer)
        self.device = next(model.parameters()).device

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def budget(self, prompt_length: int, max_new_tokens: int) -> int:
        return max(0, min(max_new_tokens, self.max_context - prompt_length))

    def generate(self, prompts: Sequence[Sequence[int]], params: Generation, on_text: TextListener | None = None,
                 should_stop: Callable[[], bool] | None = None) -> list[Generated]:
        """Generates for each prompt; row ``r`` samples with seed ``params.seed + r``. ``on_text(r, piece)``
        receives row ``r``'s text as it settles; ``should_stop`` is asked before every token and, once true,
        ends the generation with ``GenerationStopped``."""
        if any(len(p) == 0 for p in prompts):
            raise ValueError("a prompt must have at least one token")
        rows = [_Row(r, tuple(p), GeneratedText(self.decode, params.stop), random.Random(params.seed + r),
                     self.budget(len(p), params.max_new_tokens)) for r, p in enumerate(prompts)]
        for row in rows:
            if row.budget == 0:
                row.finish(LENGTH)
        running = [row for row in rows if row.result is None]
        if running:
            with torch.inference_mode():
                self._run(running, params, on_text, should_stop)
        return [row.result for row in rows]

    def _run(self, rows: list[_Row], params: Generation, on_text: TextListener | None,
             should_stop: Callable[[], bool] | None) -> None:
        logits, cache, mask = self._prefill(rows)
        produced = 0
        while True:
            if should_stop is not None and should_stop():
                raise GenerationStopped()
            next_ids = self._pick(logits, rows, params).tolist()
            produced += 1
            for row, token in zip(rows, next_ids, strict=True):
                if row.result is not None:
                    continue
                row.accept(token, self.stop_ids, produced)
                if on_text is not None:
                    piece = row.text.take_settled() if row.result is None else row.text.take_rest()
                    if piece:
                        on_text(row.number, piece)
            if all(row.result is not None for row in rows):
                return
            logits, cache, mask = self._step(rows, next_ids, cache, mask)

    def _prefill(self, rows: list[_Row]):
        """The prompts, left-padded, through the model: the logits of each row's last token, the cache, the mask."""
        longest = max(len(row.prompt) for row in rows)
        ids = torch.full((len(rows), longest), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), longest), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, longest - len(row.prompt):] = torch.tensor(row.prompt, dtype=torch.long)
            mask[i, longest - len(row.prompt):] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(dim=-1) - 1).clamp(min=0)
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, logits_to_keep=1)
        return out.logits[:, -1, :], out.past_key_values, mask

    def _step(self, rows: list[_Row], next_ids: list[int], cache, mask):
        """One token per row through the model; finished rows get padding, hidden from every later query."""
        active = [row.result is None for row in rows]
        feed = [token if a else self.pad_id for token, a in zip(next_ids, active, strict=True)]
        positions = [row.position for row in rows]
        for row in rows:
            row.position += 1
        mask = torch.cat([mask, torch.tensor(active, dtype=torch.long, device=self.device)[:, None]], dim=1)
        out = self.model(input_ids=torch.tensor(feed, device=self.device)[:, None], attention_mask=mask,
                         position_ids=torch.tensor(positions, device=self.device)[:, None], past_key_values=cache,
                         use_cache=True)
        return out.logits[:, -1, :], out.past_key_values, mask

    @staticmethod
    def _pick(logits: torch.Tensor, rows: list[_Row], params: Generation) -> torch.Tensor:
        """The next token of every row: the arg max when greedy, else a draw with each row's own numbers."""
        if params.temperature == 0:
            return logits.argmax(dim=-1).cpu()
        # Finished rows draw nothing, so a row's stream of numbers does not depend on its neighbours.
        uniforms = torch.tensor([row.random.random() if row.result is None else 0.0 for row in rows],
                                dtype=torch.float64, device=logits.device)
        ids, weights = candidates(logits, params.temperature, params.top_k, params.top_p)
        return draw(ids, weights, uniforms).cpu()
