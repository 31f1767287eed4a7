"""OpenAI's wire format for ``serve``: requests checked and tokenized, response bodies, errors.

Fields are read as OpenAI documents them (docs/WORKER_PROTOCOL.md, "serve"), with the djl runtime's checks
and messages: a wrong field is a 400 whose ``param`` and message name it. Fields this server does not act on
(``presence_penalty``, ``user``, ...) are ignored, as OpenAI-compatible servers do, except ``n``: asking for
several choices and getting one would silently lose answers. Values in messages are shown as JSON
(``temperature: must be a number >= 0.0 and <= 2.0, got "hot"``).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .data import render_chat
from .generate import Generated
from .spec import Generation

#: OpenAI's limit on stop sequences
MAX_STOP = 4
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


class ApiError(Exception):
    """An error answered as ``{"error": {"message", "type", "param", "code"}}``, so OpenAI's client libraries
    raise it with the message intact."""

    def __init__(self, status: int, kind: str, message: str, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.param = param
        self.code = code

    @classmethod
    def invalid(cls, param: str | None, message: str, code: str | None = None) -> ApiError:
        return cls(400, "invalid_request_error", message, param, code)

    @classmethod
    def not_found(cls, message: str) -> ApiError:
        return cls(404, "invalid_request_error", message, None, "not_found")

    @classmethod
    def model_not_found(cls, model: str, why: str) -> ApiError:
        """OpenAI's answer to a ``model`` it does not serve."""
        return cls(404, "invalid_request_error", f"model: {model!r}: {why}", "model", "model_not_found")

    @classmethod
    def method_not_allowed(cls, message: str) -> ApiError:
        return cls(405, "invalid_request_error", message, None, "method_not_allowed")

    @classmethod
    def internal(cls, message: str) -> ApiError:
        return cls(500, "server_error", message)

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def read_json(raw: bytes) -> Any:
    if not raw:
        raise ApiError.invalid(None, "the request body is empty; send a JSON object")
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError.invalid(None, f"the request body is not valid JSON: {e}") from e


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


@dataclass(frozen=True)
class CompletionRequest:
    """A ``/v1/chat/completions`` or ``/v1/completions`` request, checked and tokenized. For chat, the prompt is
    the messages rendered with the model's chat template and its generation prompt; ``include_usage`` streams
    a last chunk with ``usage`` (``stream_options.include_usage``)."""

    chat: bool
    prompt_ids: tuple[int, ...]
    params: Generation
    stream: bool
    include_usage: bool

    @classmethod
    def parse(cls, body: Any, chat: bool, tokenizer, context_length: int) -> CompletionRequest:
        if not isinstance(body, dict):
            raise ApiError.invalid(None, "the request body must be a JSON object")
        prompt_field = "messages" if chat else "prompt"
        ids = _chat_prompt(body.get("messages"), tokenizer) if chat else _text_prompt(body.get("prompt"), tokenizer)
        if not ids:
            raise ApiError.invalid(prompt_field, f"{prompt_field}: the prompt has no tokens")
        if len(ids) >= context_length:
            raise ApiError.invalid(prompt_field, f"the prompt is {len(ids)} tokens; the model's context is "
                                   f"{context_length}, which must also hold at least one new token",
                                   "context_length_exceeded")
        n = _integer(body, "n", 1)
        if n is not None and n != 1:
            raise ApiError.invalid("n", f"n: only 1 choice per request is supported, got {n}")
        max_field = "max_completion_tokens" if chat and _present(body, "max_completion_tokens") else "max_tokens"
        max_tokens = _integer(body, max_field, 1)
        temperature = _number(body, "temperature", 1.0, 0.0, False, 2.0)
        top_p = _number(body, "top_p", 1.0, 0.0, True, 1.0)
        top_k = _integer(body, "top_k", -1)
        seed = _long(body, "seed") if _present(body, "seed") else random.SystemRandom().randrange(2**63)
        stop = _stop(body.get("stop"))
        stream = _bool(body, "stream", False)
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and _as_boolean(options.get("include_usage"))
        params = Generation(max_new_tokens=max_tokens if max_tokens is not None else context_length,
                            temperature=temperature, top_p=top_p, top_k=top_k if top_k and top_k > 0 else None,
                            seed=seed, stop=stop)
        return cls(chat, tuple(ids), params, stream, include_usage)


def _chat_prompt(messages: Any, tokenizer) -> list[int]:
    if not isinstance(messages, list) or not messages:
        raise ApiError.invalid("messages", "messages: required, a non-empty array of {role, content}")
    turns = []
    for i, m in enumerate(messages):
        at = f"messages[{i}]"
        if not isinstance(m, dict):
            raise ApiError.invalid(at, f"{at}: must be an object {{role, content}}, got {dumps(m)}")
        role = m.get("role")
        if not isinstance(role, str) or not role:
            raise ApiError.invalid(f"{at}.role", f'{at}.role: required, a string such as "user"')
        turns.append({"role": role, "content": _content(m.get("content"), f"{at}.content")})
    try:
        text = render_chat(tokenizer, turns, True)
    except Exception as e:  # jinja2's errors, a template's raise_exception, no template at all
        raise ApiError.invalid("messages", f"messages: the chat template cannot render them: {e}") from e
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def _content(content: Any, at: str) -> str:
    """A string, or OpenAI's list of content parts of which only ``text`` parts are understood."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        text = []
        for i, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise ApiError.invalid(at, f'{at}[{i}]: only {{"type": "text", "text": ...}} parts are supported')
            text.append(part["text"])
        return "".join(text)
    raise ApiError.invalid(at, f"{at}: must be a string or a list of text parts")


def _text_prompt(prompt: Any, tokenizer) -> list[int]:
    text = prompt[0] if isinstance(prompt, list) and len(prompt) == 1 else prompt
    if not isinstance(text, str):
        raise ApiError.invalid("prompt", "prompt: required, a string (or a list of exactly one string)")
    return list(tokenizer(text, add_special_tokens=True)["input_ids"])


def _stop(stop: Any) -> tuple[str, ...]:
    if stop is None:
        return ()
    if isinstance(stop, str) and stop:
        return (stop,)
    if isinstance(stop, list) and len(stop) <= MAX_STOP:
        for s in stop:
            if not isinstance(s, str) or not s:
                raise ApiError.invalid("stop", f"stop: every entry must be a non-empty string, got {dumps(s)}")
        return tuple(stop)
    raise ApiError.invalid("stop", f"stop: must be a non-empty string or a list of at most {MAX_STOP} of them, "
                           f"got {dumps(stop)}")


def _present(body: dict, field: str) -> bool:
    return body.get(field) is not None


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _integer(body: dict, field: str, minimum: int) -> int | None:
    """A 32-bit integer of at least ``minimum``, or None when absent."""
    if not _present(body, field):
        return None
    v = body[field]
    if not _is_int(v) or not _INT32[0] <= v <= _INT32[1] or v < minimum:
        raise ApiError.invalid(field, f"{field}: must be an integer >= {minimum}, got {dumps(v)}")
    return v


def _long(body: dict, field: str) -> int:
    v = body[field]
    if not _is_int(v) or not _INT64[0] <= v <= _INT64[1]:
        raise ApiError.invalid(field, f"{field}: must be an integer, got {dumps(v)}")
    return v


def _number(body: dict, field: str, default: float, minimum: float, exclusive: bool, maximum: float) -> float:
    if not _present(body, field):
        return default
    v = body[field]
    number = isinstance(v, (int, float)) and not isinstance(v, bool)
    if not number or (v <= minimum if exclusive else v < minimum) or v > maximum:
        raise ApiError.invalid(field, f"{field}: must be a number {'>' if exclusive else '>='} {minimum} and <= "
                               f"{maximum}, got {dumps(v)}")
    return float(v)


def _bool(body: dict, field: str, default: bool) -> bool:
    if not _present(body, field):
        return default
    v = body[field]
    if not isinstance(v, bool):
        raise ApiError.invalid(field, f"{field}: must be true or false, got {dumps(v)}")
    return v


def _as_boolean(v: Any) -> bool:
    """Lenient, as Jackson's ``asBoolean``: true, a non-zero number or the text "true"."""
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    return isinstance(v, str) and v.strip() == "true"


# --- responses -------------------------------------------------------------------------------------------


def models(ids: list[str]) -> dict:
    """``GET /v1/models``: the models this server answers with (one, or the base model and its loaded adapters)."""
    created = int(time.time())
    return {"object": "list", "data": [{"id": i, "object": "model", "created": created, "owned_by": "tuneforge"}
                                       for i in ids]}


class Responses:
    """The response bodies of one completion request: ``chat.completion`` and ``chat.completion.chunk`` (with
    ``delta``) for chat, ``text_completion`` for plain completions. Every chunk of a stream carries the same id
    and creation time."""

    def __init__(self, chat: bool, model: str, prompt_tokens: int):
        self.chat = chat
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.id = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex
        self.created = int(time.time())

    def completion(self, g: Generated) -> dict:
        """The whole answer, for a request without ``stream``."""
        choice: dict[str, Any] = {"index": 0}
        if self.chat:
            choice["message"] = {"role": "assistant", "content": g.text}
        else:
            choice["text"] = g.text
        choice["logprobs"] = None
        choice["finish_reason"] = g.finish_reason
        return {**self._header("chat.completion" if self.chat else "text_completion"), "choices": [choice],
                "usage": self._usage(g)}

    def role_chunk(self) -> dict:
        """The first chunk of a chat stream: the assistant's role, no text yet, as OpenAI sends it."""
        return self._chunk({"role": "assistant", "content": ""}, None)

    def text_chunk(self, piece: str) -> dict:
        return self._chunk({"content": piece} if self.chat else piece, None)

    def finish_chunk(self, g: Generated) -> dict:
        """The last chunk with a choice: no text, the finish reason."""
        return self._chunk({} if self.chat else "", g.finish_reason)

    def usage_chunk(self, g: Generated) -> dict:
        """With ``stream_options.include_usage``: no choices, the token counts."""
        return {**self._header(self._chunk_object), "choices": [], "usage": self._usage(g)}

    @property
    def _chunk_object(self) -> str:
        return "chat.completion.chunk" if self.chat else "text_completion"

    def _chunk(self, content: dict | str, finish_reason: str | None) -> dict:
        choice: dict[str, Any] = {"index": 0, "logprobs": None}
        if self.chat:
            choice["delta"] = content
        else:
            choice["text"] = content
        choice["finish_reason"] = finish_reason
        return {**self._header(self._chunk_object), "choices": [choice]}

    def _header(self, kind: str) -> dict:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}

    def _usage(self, g: Generated) -> dict:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": len(g.tokens),
                "total_tokens": self.prompt_tokens + len(g.tokens)}
