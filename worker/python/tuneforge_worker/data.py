"""Data files and what the model learns from them (docs/WORKER_PROTOCOL.md, "What is learned").

Formats: ``chat`` (``{"messages": [{"role", "content", "weight"?}]}``), ``completion`` (``{"prompt",
"completion"}``), ``alpaca`` (``{"instruction", "input"?, "output"}``, read as a user and an assistant
turn) and ``preference`` (a prompt and a chosen and a rejected answer, for DPO: ``{"messages": [...,
{"role": "assistant", "content": chosen}], "rejected"}`` or ``{"prompt", "chosen", "rejected", "system"?}``).
A conversation is rendered once with the model's own chat template; each trained assistant turn is located in
that text by rendering the conversation up to it (with the generation prompt) and through it, and the tokens that
start inside it carry the loss, the end-of-turn marker included, so the model learns to stop. This is what the djl
runtime's ``ExampleEncoder`` does; the conformance suite checks both give the same ids.

An encoded example holds ``targets`` aligned with its positions: ``targets[t]`` is the token to predict after
reading ``input_ids[:t + 1]``, or ``IGNORE``. Targets never reach past the example, which is what lets packing
lay several examples in one row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import WorkerFailure

IGNORE = -100


@dataclass(frozen=True)
class Chat:
    messages: tuple[dict, ...]  # {"role", "content"}
    trained: tuple[bool, ...]  # per message: an assistant turn with weight 1


@dataclass(frozen=True)
class Completion:
    prompt: str
    completion: str


@dataclass(frozen=True)
class Preference:
    """A prompt (the conversation before the answer) and two answers to it, the preferred one first. Each answer is
    learned as the chat format learns an assistant turn (``answered``), so its tokens are the ones chat training
    would put the loss on."""

    prompt: tuple[dict, ...]
    chosen: str
    rejected: str

    def answered(self, answer: str) -> Chat:
        turns = self.prompt + ({"role": "assistant", "content": answer},)
        return Chat(turns, (False,) * len(self.prompt) + (True,))


Example = Chat | Completion | Preference


@dataclass(frozen=True)
class Encoded:
    input_ids: tuple[int, ...]
    targets: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def target_count(self) -> int:
        return sum(1 for t in self.targets if t != IGNORE)


def read_examples(path: Path, fmt: str) -> list[Example]:
    """Every example of a JSONL file; the first bad line fails with ``bad_data`` naming the line and field."""
    if not path.is_file():
        raise WorkerFailure.bad_data(f"{path}: no such file")
    examples: list[Example] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise WorkerFailure.bad_data(f"cannot read {path}: {e}") from e
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            doc = json.loads(line)
        except ValueError as e:
            raise WorkerFailure.bad_data(f"{where}: not JSON: {e}") from e
        if not isinstance(doc, dict):
            raise WorkerFailure.bad_data(f"{where}: must be a JSON object")
        examples.append(parse(doc, fmt, where))
    if not examples:
        raise WorkerFailure.bad_data(f"{path.name}: no examples")
    return examples


def parse(doc: dict, fmt: str, where: str) -> Example:
    if fmt == "chat":
        return _chat(doc, where)
    if fmt == "completion":
        return Completion(_text(doc, "prompt", where), _text(doc, "completion", where))
    if fmt == "alpaca":
        instruction = _text(doc, "instruction", where)
        extra = _text(doc, "input", where) if doc.get("input") is not None else ""
        user = instruction if not extra.strip() else instruction + "\n\n" + extra
        return Chat(({"role": "user", "content": user},
                     {"role": "assistant", "content": _text(doc, "output", where)}), (False, True))
    if fmt == "preference":
        return _preference(doc, where)
    raise WorkerFailure.bad_spec(f"data.format: unknown format {fmt!r}")


def _chat(doc: dict, where: str) -> Chat:
    messages = doc.get("messages")
    if not isinstance(messages, list) or not messages:
        raise WorkerFailure.bad_data(f"{where}: messages: must be a non-empty array")
    out, trained = [], []
    for i, m in enumerate(messages):
        at = f"{where}: messages[{i}]"
        if not isinstance(m, dict):
            raise WorkerFailure.bad_data(f"{at}: must be an object")
        role, content = _text(m, "role", at), _text(m, "content", at)
        weight = m.get("weight")
        if role == "assistant":
            if "weight" in m and (type(weight) is not int or weight not in (0, 1)):
                raise WorkerFailure.bad_data(f"{at}.weight: must be 0 or 1, got {json.dumps(weight)}")
            trained.append(weight is None or weight == 1)
        else:
            if "weight" in m:
                raise WorkerFailure.bad_data(f"{at}.weight: only assistant messages carry a weight")
            trained.append(False)
        out.append({"role": role, "content": content})
    if not any(trained):
        raise WorkerFailure.bad_data(f"{where}: messages: no assistant message with weight 1 to learn from")
    return Chat(tuple(out), tuple(trained))


def _preference(doc: dict, where: str) -> Preference:
    rejected = _text(doc, "rejected", where)
    if "messages" in doc:  # dataset-service's shape: the chosen answer is the last turn
        chat = _chat(doc, where)
        if chat.messages[-1]["role"] != "assistant":
            raise WorkerFailure.bad_data(f"{where}: messages: the last message must be the chosen assistant answer")
        return Preference(chat.messages[:-1], chat.messages[-1]["content"], rejected)
    system = _text(doc, "system", where) if doc.get("system") is not None else None
    turns = (({"role": "system", "content": system},) if system is not None else ()) + (
        {"role": "user", "content": _text(doc, "prompt", where)},)
    return Preference(turns, _text(doc, "chosen", where), rejected)


def _text(doc: dict, name: str, where: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str):
        raise WorkerFailure.bad_data(f"{where}: {name}: must be a string")
    return value


def render_chat(tokenizer, messages, add_generation_prompt: bool) -> str:
    """The conversation as the model's chat template renders it (no tokens added around it)."""
    if not messages:
        return _render_empty(tokenizer, add_generation_prompt)
    return tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=add_generation_prompt)


def _render_empty(tokenizer, add_generation_prompt: bool) -> str:
    # Render the template itself with no messages: transformers' apply_chat_template rejects an empty list.
    from transformers.utils.chat_template_utils import render_jinja_template

    rendered, _ = render_jinja_template(conversations=[[]], chat_template=tokenizer.chat_template,
                                        add_generation_prompt=add_generation_prompt,
                                        **tokenizer.special_tokens_map)
    return rendered[0]


class Encoder:
    """Examples to token ids and targets for one tokenizer, cut to ``max_seq_length`` tokens."""

    def __init__(self, tokenizer, max_seq_length: int):
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.eos_id = tokenizer.eos_token_id

    def encode(self, example: Example) -> Encoded:
        """The example as training learns it; a preference pair as its chosen answer."""
        if isinstance(example, Preference):
            example = example.answered(example.chosen)
        if isinstance(example, Chat):
            ids, trained = self._chat(example)
        else:
            ids, trained = self._completion(example)
        ids, trained = ids[: self.max_seq_length], trained[: self.max_seq_length]
        targets = [ids[t + 1] if t + 1 < len(ids) and trained[t + 1] else IGNORE for t in range(len(ids))]
        return Encoded(tuple(ids), tuple(targets))

    def _chat(self, chat: Chat) -> tuple[list[int], list[bool]]:
        if self.tokenizer.chat_template is None:
            raise WorkerFailure.bad_spec("base_model: the tokenizer has no chat template, so chat data cannot be "
                                         "rendered (use the completion format)")
        full = render_chat(self.tokenizer, chat.messages, False)
        spans = []
        for i, trained in enumerate(chat.trained):
            if not trained:
                continue
            before = render_chat(self.tokenizer, chat.messages[:i], True)
            through = render_chat(self.tokenizer, chat.messages[: i + 1], False)
            if not through.startswith(before) or not full.startswith(through):
                raise WorkerFailure.bad_data("the chat template does not render conversations incrementally, so "
                                             "assistant turns cannot be located for the loss mask")
            spans.append((len(before), len(through)))
        enc = self.tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
        ids = list(enc["input_ids"])
        trained = [any(a <= start < b for a, b in spans) for start, _ in enc["offset_mapping"]]
        return ids, trained

    def _completion(self, example: Completion) -> tuple[list[int], list[bool]]:
        text = example.prompt + example.completion
        enc = self.tokenizer(text, add_special_tokens=True, return_offsets_mapping=True,
                             return_special_tokens_mask=True)
        ids = list(enc["input_ids"])
        # tokens the tokenizer adds around the text (BOS, ...) are special and cover no characters
        spans = enc["offset_mapping"]
        added = [bool(m) and span == (0, 0) for m, span in zip(enc["special_tokens_mask"], spans, strict=True)]
        trained = [not added[t] and start >= len(example.prompt) for t, (start, _) in enumerate(enc["offset_mapping"])]
        if self.eos_id is not None and (not ids or ids[-1] != self.eos_id):
            ids.append(self.eos_id)
            trained.append(True)
        return ids, trained


def prompt_of(example: Example) -> tuple[tuple[dict, ...], str] | tuple[str, str]:
    """What a model is given to produce the reference, and the reference: the conversation before the last
    assistant turn (chat), the prompt (completion), or the prompt and the chosen answer (preference)."""
    if isinstance(example, Completion):
        return example.prompt, example.completion
    if isinstance(example, Preference):
        return example.prompt, example.chosen
    last = max((i for i, m in enumerate(example.messages) if m["role"] == "assistant"), default=-1)
    if last < 0:
        raise WorkerFailure.bad_data("the conversation has no assistant message to generate")
    return example.messages[:last], example.messages[last]["content"]
