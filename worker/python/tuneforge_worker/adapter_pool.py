"""``serve --adapters DIR``: one base model and the PEFT adapters under ``DIR``, chosen per request by ``model``
(docs/WORKER_PROTOCOL.md, "Many adapters in one server").

Invariants, and why:

- The base model's weights are loaded once. LoRA adapters are injected into it through PEFT's multi-adapter API:
  one ``PeftModel`` (created with the first LoRA adapter, unloaded again when the last one goes), ``load_adapter``,
  ``set_adapter`` before each generation and ``delete_adapter`` on eviction. Prompt-learning adapters (prompt and
  prefix tuning) run through ``prompt_learning.VirtualTokenLM`` over the same base model with every LoRA adapter
  disabled; the base model itself runs inside ``disable_adapter()``. So a generation sees exactly the weights of
  the adapter it asked for, never another's.
- Everything that touches the model (loading, evicting, generating) happens under the server's generation lock,
  one at a time; ``loaded_ids`` may be read from any thread (its bookkeeping has its own lock).
- At most ``max_loaded`` adapters stay loaded; loading one more evicts the least recently used (after the new one
  loaded, so that an adapter that does not fit evicts nothing). An evicted adapter is loaded again when asked for.
- PEFT names modules after the adapter and a module name cannot contain '.', while an id may (``bot.v2:3``): each
  loaded adapter gets an internal name ``adapter_<n>`` from a counter, never reused.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .generate import Generator
from .openai_api import ApiError
from .prompt_learning import VirtualTokenLM

#: what a ``model`` naming an adapter may be: a plain directory name, so no id climbs out of the directory
ADAPTER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,199}")
#: adapters loaded at once when ``--max-adapters`` is not given
DEFAULT_MAX_ADAPTERS = 8
LORA = "LORA"
VIRTUAL_TOKENS = ("PROMPT_TUNING", "PREFIX_TUNING")


@dataclass(frozen=True)
class AdapterDir:
    """An adapter found under ``--adapters``: its id (the directory's name), its path and adapter_config.json."""

    id: str
    path: Path
    config: dict

    @classmethod
    def read(cls, path: Path) -> AdapterDir:
        """The adapter in ``path``, named after it; ``FileNotFoundError`` without adapter_config.json, 400 naming
        the file for one that is not a JSON object."""
        config_file = path / "adapter_config.json"
        try:
            config = json.loads(config_file.read_text(encoding="utf-8"))
        except ValueError as e:
            config = e
        if not isinstance(config, dict):
            raise ApiError.invalid("model", f"model: adapter {path.name!r}: {config_file} is not a JSON object"
                                   f"{f': {config}' if isinstance(config, ValueError) else ''}")
        return cls(path.name, path, config)

    @property
    def peft_type(self) -> str:
        return str(self.config.get("peft_type"))

    @property
    def virtual_tokens(self) -> int:
        """The positions of the model's context its virtual tokens take (0 for LoRA)."""
        return int(self.config.get("num_virtual_tokens") or 0) if self.peft_type in VIRTUAL_TOKENS else 0


class AdapterDirectory:
    """``--adapters DIR``: ``model`` ids mapped to the subdirectories holding adapter_config.json, read when asked
    for (the directory may gain adapters while the server runs)."""

    def __init__(self, root: Path):
        self.root = root

    def find(self, model_id: str) -> AdapterDir:
        """The adapter named ``model_id``; 404 ``model_not_found`` for a malformed id or one without a directory."""
        if not ADAPTER_ID.fullmatch(model_id):
            raise ApiError.model_not_found(model_id, "not a model id ([A-Za-z0-9][A-Za-z0-9._:-]{0,199})")
        try:
            return AdapterDir.read(self.root / model_id)
        except (FileNotFoundError, NotADirectoryError):
            raise ApiError.model_not_found(model_id, "no such model or adapter in this server") from None


@dataclass
class LoadedAdapter:
    """An adapter in memory: how to generate with it, and its PEFT name (LoRA) or its own model (virtual tokens)."""

    id: str
    name: str
    lora: bool
    generator: Generator


class AdapterPool:
    """The base model and the adapters loaded over it (see the module comment)."""

    def __init__(self, lm, make_generator: Callable[[object], Generator], max_loaded: int):
        self.lm = lm
        self.make_generator = make_generator
        self.max_loaded = max_loaded
        self.base = make_generator(lm)
        self.pinned: LoadedAdapter | None = None
        self.lora = None  # the PeftModel holding every loaded LoRA adapter, while there is one
        self._loaded: OrderedDict[str, LoadedAdapter] = OrderedDict()  # least recently used first
        self._bookkeeping = threading.Lock()
        self._names = itertools.count(1)

    def loaded_ids(self) -> list[str]:
        """The loaded adapters, most recently used first."""
        with self._bookkeeping:
            return list(reversed(self._loaded))

    @contextlib.contextmanager
    def default(self) -> Iterator[Generator]:
        """The generator of a request naming no adapter: the ``--adapter`` one if there is one, else the base model
        with every LoRA adapter disabled. Under the generation lock."""
        if self.pinned is not None:
            with self._use(self.pinned) as generator:
                yield generator
        else:
            with self._lora_disabled():
                yield self.base

    @contextlib.contextmanager
    def adapter(self, adapter: AdapterDir) -> Iterator[Generator]:
        """The adapter's generator, loading it (and evicting the least recently used) if it is not loaded. Under
        the generation lock."""
        with self._bookkeeping:
            loaded = self._loaded.get(adapter.id)
            if loaded is not None:
                self._loaded.move_to_end(adapter.id)
        if loaded is None:
            loaded = self._load(adapter)
            with self._bookkeeping:
                self._loaded[adapter.id] = loaded
            self._evict_beyond_limit()
        with self._use(loaded) as generator:
            yield generator

    def pin(self, adapter: AdapterDir) -> None:
        """The ``--adapter`` one: loaded at start for good, never counted or evicted, and what a request naming no
        adapter gets."""
        self.pinned = self._load(adapter)

    @contextlib.contextmanager
    def _use(self, loaded: LoadedAdapter) -> Iterator[Generator]:
        if loaded.lora:
            self.lora.set_adapter(loaded.name)
            yield loaded.generator
        else:
            with self._lora_disabled():
                yield loaded.generator

    def _lora_disabled(self):
        return self.lora.disable_adapter() if self.lora is not None else contextlib.nullcontext()

    def _load(self, adapter: AdapterDir) -> LoadedAdapter:
        name = f"adapter_{next(self._names)}"
        if adapter.peft_type == LORA:
            self._load_lora(adapter, name)
            loaded = LoadedAdapter(adapter.id, name, True, self.make_generator(self.lora))
        elif adapter.peft_type in VIRTUAL_TOKENS:
            loaded = LoadedAdapter(adapter.id, name, False, self.make_generator(self._load_virtual(adapter, name)))
        else:
            raise ApiError.invalid("model", f"model: adapter {adapter.id!r} is a {adapter.peft_type} adapter; this "
                                   f"server serves {', '.join((LORA, *VIRTUAL_TOKENS))} ones")
        return loaded

    def _load_lora(self, adapter: AdapterDir, name: str) -> None:
        from peft import PeftConfig, get_peft_model

        try:
            if self.lora is None:
                config = PeftConfig.from_pretrained(str(adapter.path))
                config.inference_mode = True
                self.lora = get_peft_model(self.lm, config, adapter_name=name)
            self.lora.load_adapter(str(adapter.path), adapter_name=name, is_trainable=False)
            self.lora.eval()
        except Exception as e:
            self._drop_lora(name)
            raise self._does_not_fit(adapter, e) from e

    def _load_virtual(self, adapter: AdapterDir, name: str) -> VirtualTokenLM:
        from peft import PeftModel

        try:
            return VirtualTokenLM(PeftModel.from_pretrained(self.lm, str(adapter.path), adapter_name=name).eval())
        except Exception as e:
            raise self._does_not_fit(adapter, e) from e

    @staticmethod
    def _does_not_fit(adapter: AdapterDir, e: Exception) -> ApiError:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return ApiError.invalid("model", f"model: adapter {adapter.id!r} does not fit the served model: {first}")

    def _evict_beyond_limit(self) -> None:
        while True:
            with self._bookkeeping:
                if len(self._loaded) <= self.max_loaded:
                    return
                _, evicted = self._loaded.popitem(last=False)
            if evicted.lora:
                self._drop_lora(evicted.name)

    def _drop_lora(self, name: str) -> None:
        """Removes a LoRA adapter from the PeftModel; once none is left, the base model gets its own layers back."""
        if self.lora is None or name not in self.lora.peft_config:
            return
        if len(self.lora.peft_config) > 1:
            self.lora.delete_adapter(name)
            return
        self.lora.unload()
        if hasattr(self.lm, "peft_config"):
            del self.lm.peft_config
        self.lora = None
