"""``serve``: an OpenAI-compatible HTTP API over one model, until SIGTERM (docs/WORKER_PROTOCOL.md, "serve").

``GET /health``, ``GET /v1/models``, ``POST /v1/chat/completions`` and ``POST /v1/completions``, the last two
streamed as server-sent events when asked, on the standard library's threading HTTP server (HTTP/1.1 with
keep-alive, so OpenAI's client libraries reuse their connections; streams are sent chunked).

Generations run one at a time under a fair (first come, first served) lock: the model computes on one device,
a second generation in parallel would only halve the speed of both, and local use needs no more. Requests that
wait for the lock still get their answer; health checks and bad requests never wait. SIGTERM stops listening,
ends a generation in progress at its next token (a stream gets an error event, then ``[DONE]``), and exits 143
after a ``stopped`` event.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import torch

from .adapter_pool import DEFAULT_MAX_ADAPTERS, AdapterDir, AdapterDirectory, AdapterPool
from .errors import ExitCode, WorkerFailure
from .events import EventSink
from .generate import Generated, GenerationStopped, Generator, stop_token_ids
from .model import check_model_dir, load_adapter, load_model, load_tokenizer, pick_model_dir, resolve_device
from .openai_api import ApiError, CompletionRequest, Responses, dumps, models, read_json
from .stop import StopSignal

DEVICE = re.compile(r"cpu|cuda(:\d+)?|auto")

log = logging.getLogger(__name__)


def serve(model: Path, adapter: Path | None, host: str, port: int, device: str, events: EventSink,
          stop: StopSignal, parent_pid: int | None = None, adapters: Path | None = None,
          max_adapters: int | None = None) -> int:
    """Serves until SIGTERM, or until process ``parent_pid`` is gone (a launcher that was killed cannot stop its
    servers itself, so they watch it). With ``adapters``, the base model and the adapters in that directory, at
    most ``max_adapters`` of them loaded at once."""
    if max_adapters is not None and adapters is None:
        raise WorkerFailure.bad_spec("--max-adapters needs --adapters DIR")
    if max_adapters is not None and max_adapters < 1:
        raise WorkerFailure.bad_spec(f"--max-adapters must be at least 1, got {max_adapters}")
    if not 0 <= port <= 65535:
        raise WorkerFailure.bad_spec(f"--port must be 0..65535, got {port}")
    if not DEVICE.fullmatch(device):
        raise WorkerFailure.bad_spec(f"--device must be cpu, cuda, cuda:N or auto, got {device}")
    model = Path(os.path.abspath(model))
    adapter = Path(os.path.abspath(adapter)) if adapter is not None else None
    adapters = Path(os.path.abspath(adapters)) if adapters is not None else None
    for option, path in (("--model", model), ("--adapter", adapter), ("--adapters", adapters)):
        if path is not None and not path.is_dir():
            raise WorkerFailure.bad_spec(f"{option} {path}: no such directory")
    # Bind before loading, so that a port in use fails at once; nothing is accepted until the model is there.
    server = OpenAiServer.bind(host, port)
    try:
        server.served = ServedModel.load(model, adapter, device, adapters, max_adapters or DEFAULT_MAX_ADAPTERS)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="serve-http",
                         daemon=True).start()
        bound = server.server_address[1]
        url_host = f"[{host}]" if ":" in host else host
        events.emit("serving", host=host, port=bound, model=server.served.id, url=f"http://{url_host}:{bound}/v1")
        while not stop.wait(0.5):
            if parent_pid is not None and not _alive(parent_pid):
                stop.request(f"parent {parent_pid} exited")
        server.close()
    finally:
        server.server_close()
    events.emit("stopped", step=0, reason=stop.reason or "SIGTERM")
    return int(ExitCode.TERMINATED)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


class FairLock:
    """A lock taken in the order it was asked for (a ticket lock): a request never waits behind later ones."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._next_ticket = 0
        self._serving = 0

    def __enter__(self) -> FairLock:
        with self._changed:
            ticket = self._next_ticket
            self._next_ticket += 1
            while self._serving != ticket:
                self._changed.wait()
        return self

    def __exit__(self, *exc) -> None:
        with self._changed:
            self._serving += 1
            self._changed.notify_all()


class SharedTokenizer:
    """A tokenizer that request threads share. transformers' ``__call__`` reconfigures the Rust tokenizer's
    truncation and padding on every call, which fails ("Already borrowed") when another thread uses it at the
    same moment, so every use goes through one lock (each is short next to a forward pass)."""

    def __init__(self, tokenizer):
        self._tokenizer = tokenizer
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self._lock:
            return self._tokenizer(*args, **kwargs)

    def decode(self, *args, **kwargs):
        with self._lock:
            return self._tokenizer.decode(*args, **kwargs)

    def apply_chat_template(self, *args, **kwargs):
        with self._lock:
            return self._tokenizer.apply_chat_template(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._tokenizer, name)


@dataclass(frozen=True)
class Target:
    """What one request runs with: the id its responses name, the context its prompt and generation must fit in,
    and its generator, to be entered under the generation lock (loading an adapter touches the model)."""

    id: str
    context_length: int
    generator: Callable[[], AbstractContextManager[Generator]]


@dataclass(frozen=True)
class ServedModel:
    """The model a server answers with: its id as ``/v1/models`` lists it (the adapter's directory name when
    there is one, else the model's), the tokenizer with its chat template, and a generator that ends on the
    model's end-of-sequence tokens. With ``--adapters``, also the adapters a request may name (``adapters``) and
    those loaded (``pool``); the generator is then the default one (the base model's, or ``--adapter``'s)."""

    id: str
    tokenizer: SharedTokenizer
    generator: Generator
    adapters: AdapterDirectory | None = None
    pool: AdapterPool | None = None

    @property
    def context_length(self) -> int:
        return self.generator.max_context

    def model_ids(self) -> list[str]:
        """What ``/v1/models`` lists: this model, then the adapters loaded, most recently used first."""
        return [self.id, *(self.pool.loaded_ids() if self.pool is not None else ())]

    def target(self, model) -> Target:
        """What a request's ``model`` field asks for: without ``--adapters`` this model whatever it names; with it,
        this model when it names none or this model's id, else the adapter it names (404 for an unknown one)."""
        if self.pool is None:
            return Target(self.id, self.context_length, lambda: nullcontext(self.generator))
        if model is None or model == self.id:
            return Target(self.id, self.context_length, self.pool.default)
        if not isinstance(model, str):
            raise ApiError.invalid("model", f"model: must be a string, got {dumps(model)}")
        adapter = self.adapters.find(model)
        return Target(adapter.id, self.pool.base.max_context - adapter.virtual_tokens,
                      lambda: self.pool.adapter(adapter))

    @classmethod
    def load(cls, model_dir: Path, adapter_dir: Path | None, device: str, adapters_dir: Path | None = None,
             max_adapters: int = DEFAULT_MAX_ADAPTERS) -> ServedModel:
        """``model_dir`` is a model directory, or a PEFT adapter directory whose config names its base."""
        base, embedded = pick_model_dir(model_dir)
        if embedded is not None and adapter_dir is not None:
            raise WorkerFailure.bad_spec(f"--model {model_dir} is a LoRA adapter; with --adapter, --model must be "
                                         "the base model")
        adapter_dir = adapter_dir if adapter_dir is not None else embedded
        base = Path(os.path.abspath(base))
        check_model_dir(base, "--model")
        target = resolve_device(device)
        try:
            tokenizer = SharedTokenizer(load_tokenizer(base))
            model = load_model(base, target)
            stop_ids = stop_token_ids(base, tokenizer)
            model_id = (adapter_dir if adapter_dir is not None else base).name
            if adapters_dir is not None:
                return cls._with_adapters(model_id, tokenizer, model, stop_ids, adapter_dir, adapters_dir,
                                          max_adapters)
            if adapter_dir is not None:
                model = load_adapter(model, adapter_dir).eval()
        except (WorkerFailure, MemoryError, torch.OutOfMemoryError):
            raise
        except Exception as e:
            raise WorkerFailure.bad_spec(f"cannot load the model: {e}") from e
        return cls(model_id, tokenizer, Generator(model, tokenizer, stop_ids))

    @classmethod
    def _with_adapters(cls, model_id: str, tokenizer: SharedTokenizer, model, stop_ids: frozenset[int],
                       adapter_dir: Path | None, adapters_dir: Path, max_adapters: int) -> ServedModel:
        pool = AdapterPool(model, lambda lm: Generator(lm, tokenizer, stop_ids), max_adapters)
        generator = pool.base
        if adapter_dir is not None:
            try:
                pool.pin(AdapterDir.read(adapter_dir))
            except FileNotFoundError as e:
                raise WorkerFailure.bad_spec(f"--adapter {adapter_dir}: no adapter_config.json") from e
            except ApiError as e:
                raise WorkerFailure.bad_spec(f"--adapter {adapter_dir}: {e.message}") from e
            generator = pool.pinned.generator
        return cls(model_id, tokenizer, generator, AdapterDirectory(adapters_dir), pool)


class OpenAiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int]):
        super().__init__(address, Handler)
        self.served: ServedModel | None = None
        self.generation = FairLock()
        self.closing = threading.Event()

    @classmethod
    def bind(cls, host: str, port: int) -> OpenAiServer:
        kind = type("OpenAiServer6", (cls,), {"address_family": socket.AF_INET6}) if ":" in host else cls
        try:
            return kind((host, port))
        except OSError as e:
            raise WorkerFailure.bad_spec(f"cannot listen on {host}:{port}: {e.strerror or e}") from e

    def close(self) -> None:
        """Stops accepting requests, ends a generation in progress at its next token and waits for it (and for
        the requests queued before this call, which answer that the server is shutting down)."""
        self.closing.set()
        self.shutdown()
        with self.generation:
            pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tuneforge-worker"
    server: OpenAiServer

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_GET

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        log.info("%s %s", self.address_string(), format % args)

    def _handle(self) -> None:
        try:
            try:
                self._route(self._read_body())
            except ApiError as e:
                self._send(e.status, e.body())
            except Exception as e:
                log.exception("request failed: %s %s", self.command, self.path)
                self._send(500, ApiError.internal(f"{type(e).__name__}: {e}").body())
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away; nothing to answer

    def _route(self, body: bytes) -> None:
        path = urlsplit(self.path).path
        if path == "/health":
            self._require("GET")
            served = self.server.served
            self._send(200, {"status": "ok"} if served.pool is None
                       else {"status": "ok", "adapters_loaded": len(served.pool.loaded_ids())})
        elif path == "/v1/models":
            self._require("GET")
            self._send(200, models(self.server.served.model_ids()))
        elif path in ("/v1/chat/completions", "/v1/completions"):
            self._require("POST")
            self._complete(read_json(body), path == "/v1/chat/completions")
        else:
            raise ApiError.not_found(f"no such endpoint: {self.command} {path}")

    def _require(self, method: str) -> None:
        if self.command != method:
            raise ApiError.method_not_allowed(f"{urlsplit(self.path).path} takes {method}, not {self.command}")

    def _complete(self, body, chat: bool) -> None:
        served = self.server.served
        target = served.target(body.get("model") if isinstance(body, dict) else None)
        request = CompletionRequest.parse(body, chat, served.tokenizer, target.context_length)
        responses = Responses(chat, target.id, len(request.prompt_ids))
        with self.server.generation:
            if self.server.closing.is_set():
                raise ApiError.internal("the server is shutting down")
            with target.generator() as generator:
                if request.stream:
                    self._stream(generator, request, responses)
                else:
                    self._send(200, responses.completion(self._generate(generator, request)))

    def _generate(self, generator: Generator, request: CompletionRequest,
                  on_piece: Callable[[str], None] | None = None) -> Generated:
        on_text = (lambda _row, piece: on_piece(piece)) if on_piece is not None else None
        try:
            return generator.generate([request.prompt_ids], request.params, on_text,
                                      should_stop=self.server.closing.is_set)[0]
        except GenerationStopped as e:
            raise ApiError.internal("the server is shutting down") from e

    def _stream(self, generator: Generator, request: CompletionRequest, responses: Responses) -> None:
        """Server-sent events: a chunk per settled piece of text, a last chunk with the finish reason (then usage,
        if asked), and ``data: [DONE]``. Once the status line is out, an error can only come in the stream."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pieces = 0

        def send_piece(piece: str) -> None:
            nonlocal pieces
            self._event(responses.text_chunk(piece))
            pieces += 1

        try:
            if request.chat:
                self._event(responses.role_chunk())
            g = self._generate(generator, request, send_piece)
            self._event(responses.finish_chunk(g))
            if request.include_usage:
                self._event(responses.usage_chunk(g))
        except ApiError as e:
            self._event(e.body())
        except (ConnectionError, TimeoutError):
            log.info("the client left after %d pieces of text (max_tokens %d): the generation ended there", pieces,
                     request.params.max_new_tokens)
            raise
        except Exception as e:
            log.exception("streamed request failed: %s", self.path)
            self._event(ApiError.internal(f"{type(e).__name__}: {e}").body())
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")

    def _event(self, data: dict) -> None:
        self._chunk(f"data: {dumps(data)}\n\n".encode())

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _send(self, status: int, body: dict) -> None:
        data = dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 405:
            self.send_header("Allow", "POST" if "completions" in self.path else "GET")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
            self.wfile.flush()

    def _read_body(self) -> bytes:
        """The whole body, read before answering whatever the path, so the next request on the connection starts
        where it should."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError as e:
            self.close_connection = True
            raise ApiError.invalid(None, f"Content-Length: not a number: {e}") from e
        return self.rfile.read(length) if length > 0 else b""
