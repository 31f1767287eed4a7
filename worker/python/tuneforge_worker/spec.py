"""spec.json for ``train`` and ``evaluate``, validated against the shared JSON Schemas.

The schemas in ``worker-protocol/schemas/`` (here through the ``schemas`` link) are the one definition of
the protocol; the djl runtime's reader is checked against the same files. Validation reports every problem
at once, each with its path (``method.rank: unknown field; hyperparameters.learning_rate: must be > 0 ...``),
then the document becomes typed dataclasses with the schema's defaults and paths resolved against
``--workdir``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from .errors import WorkerFailure

TRAIN_SCHEMA = "train-spec.schema.json"
EVAL_SCHEMA = "eval-spec.schema.json"
EVENTS_SCHEMA = "events.schema.json"


@cache
def schema(name: str) -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("schemas", name).read_text(encoding="utf-8"))


# --- train -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lora:
    r: int = 8
    alpha: float | None = None  # None: 2 * r
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "v_proj")
    use_rslora: bool = False

    @property
    def lora_alpha(self) -> float:
        return self.alpha if self.alpha is not None else 2.0 * self.r

    @property
    def scaling(self) -> float:
        """PEFT's: alpha / r, or alpha / sqrt(r) with rsLoRA."""
        return self.lora_alpha / (math.sqrt(self.r) if self.use_rslora else self.r)


@dataclass(frozen=True)
class Dpo(Lora):
    """Direct Preference Optimization of a LoRA adapter on preference pairs (docs/WORKER_PROTOCOL.md, "DPO")."""

    beta: float = 0.1
    label_smoothing: float = 0.0


@dataclass(frozen=True)
class Qlora(Lora):
    """A LoRA adapter on a base held in 4-bit NF4 (docs/WORKER_PROTOCOL.md, "QLoRA"; ``nf4``)."""

    double_quant: bool = True


@dataclass(frozen=True)
class Full:
    pass


@dataclass(frozen=True)
class PromptTuning:
    """A soft prompt of ``num_virtual_tokens`` trained embeddings (PEFT's PROMPT_TUNING); ``init_text`` only with
    ``init`` "text"."""

    num_virtual_tokens: int = 20
    init: str = "random"
    init_text: str | None = None


@dataclass(frozen=True)
class PrefixTuning:
    """Trained keys and values before every layer's attention (PEFT's PREFIX_TUNING); ``encoder_hidden_size`` None
    means the model's hidden size."""

    num_virtual_tokens: int = 20
    prefix_projection: bool = False
    encoder_hidden_size: int | None = None


@dataclass(frozen=True)
class Hyperparameters:
    epochs: int = 3
    max_steps: int | None = None
    batch_size: int = 8
    gradient_accumulation_steps: int = 1
    learning_rate: float = 1e-4
    lr_scheduler: str = "linear"
    warmup_steps: int | None = None
    warmup_ratio: float = 0.0
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    max_seq_length: int = 1024
    packing: bool = False
    seed: int = 42
    gradient_checkpointing: bool = False

    def warmup_for(self, total_steps: int) -> int:
        if self.warmup_steps is not None:
            return self.warmup_steps
        return math.ceil(self.warmup_ratio * total_steps)


@dataclass(frozen=True)
class Data:
    train: Path
    validation: Path | None = None
    format: str = "chat"


@dataclass(frozen=True)
class TrainSpec:
    base_model: Path
    data: Data
    method: Lora | Dpo | Qlora | Full | PromptTuning | PrefixTuning
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    eval_steps: int | None = None
    early_stopping_patience: int | None = None
    save_steps: int | None = 500
    resume_from: Path | None = None  # a checkpoint directory
    resume_latest: bool = False  # "latest": the newest checkpoint in output_dir, if there is one
    output_dir: Path = Path(".")
    device: str = "cpu"
    precision: str = "fp32"


def read_train_spec(path: Path, workdir: Path | None = None) -> TrainSpec:
    doc = _load(path, TRAIN_SCHEMA)
    base = _workdir(path, workdir)
    data = doc["data"]
    m = doc["method"]
    method: Lora | Dpo | Qlora | Full | PromptTuning | PrefixTuning
    if m["type"] in ("lora", "dpo", "qlora"):
        adapter = dict(r=m.get("r", 8), alpha=m.get("alpha"), dropout=m.get("dropout", 0.05),
                       target_modules=tuple(m.get("target_modules", ("q_proj", "v_proj"))),
                       use_rslora=m.get("use_rslora", False))
        if m["type"] == "lora":
            method = Lora(**adapter)
        elif m["type"] == "qlora":
            method = Qlora(**adapter, double_quant=m.get("double_quant", True))
        else:
            method = Dpo(**adapter, beta=m.get("beta", 0.1), label_smoothing=m.get("label_smoothing", 0.0))
    elif m["type"] == "prompt_tuning":
        method = PromptTuning(num_virtual_tokens=m.get("num_virtual_tokens", 20), init=m.get("init", "random"),
                              init_text=m.get("init_text"))
    elif m["type"] == "prefix_tuning":
        method = PrefixTuning(num_virtual_tokens=m.get("num_virtual_tokens", 20),
                              prefix_projection=m.get("prefix_projection", False),
                              encoder_hidden_size=m.get("encoder_hidden_size"))
    else:
        method = Full()
    h = {k: v for k, v in doc.get("hyperparameters", {}).items() if v is not None}
    output_dir = _resolve(base, doc.get("output_dir", "."))
    resume = doc.get("resume_from")
    # "latest" means the newest checkpoint, unless a directory of that name exists (as the djl runtime reads it)
    resume_latest = resume == "latest" and not _resolve(base, resume).exists()
    resume_from = _resolve(base, resume) if resume is not None and not resume_latest else None
    return TrainSpec(
        base_model=_resolve(base, doc["base_model"]),
        data=Data(
            train=_resolve(base, data["train"]),
            validation=_resolve(base, data["validation"]) if data.get("validation") else None,
            format=data.get("format", "chat"),
        ),
        method=method,
        hyperparameters=Hyperparameters(**h),
        eval_steps=doc.get("eval_steps"),
        early_stopping_patience=doc.get("early_stopping_patience"),
        save_steps=doc.get("save_steps", 500),
        resume_from=resume_from,
        resume_latest=resume_latest,
        output_dir=output_dir,
        device=doc.get("device", "cpu"),
        precision=doc.get("precision", "fp32"),
    )


# --- evaluate --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generation:
    """Decoding settings, shared by ``evaluate`` and ``serve``."""

    max_new_tokens: int = 128
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int | None = None
    seed: int = 0
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalSpec:
    base_model: Path
    data_file: Path
    data_format: str = "chat"
    adapter: Path | None = None
    max_seq_length: int = 1024
    generation: Generation = field(default_factory=Generation)
    output: Path = Path("eval_results.jsonl")
    device: str = "cpu"


def read_eval_spec(path: Path, workdir: Path | None = None, adapter: Path | None = None) -> EvalSpec:
    doc = _load(path, EVAL_SCHEMA)
    base = _workdir(path, workdir)
    adapter_path = adapter if adapter is not None else doc.get("adapter")
    return EvalSpec(
        base_model=_resolve(base, doc["base_model"]),
        data_file=_resolve(base, doc["data"]["file"]),
        data_format=doc["data"].get("format", "chat"),
        adapter=_resolve(base, adapter_path) if adapter_path else None,
        max_seq_length=doc.get("max_seq_length", 1024),
        generation=Generation(
            max_new_tokens=doc.get("max_new_tokens", 128),
            temperature=float(doc.get("temperature", 0.0)),
            top_p=float(doc.get("top_p", 1.0)),
            top_k=doc.get("top_k"),
            seed=doc.get("seed", 0),
            stop=tuple(doc.get("stop", ())),
        ),
        output=_resolve(base, doc.get("output", "eval_results.jsonl")),
        device=doc.get("device", "cpu"),
    )


# --- validation ------------------------------------------------------------------------------------------


def validate(doc: Any, schema_name: str) -> list[str]:
    """Every problem of ``doc`` against the schema, as ``path: what is wrong``, sorted by path."""
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    problems: set[str] = set()
    for error in validator.iter_errors(doc):
        problems.update(_describe(error))
    return sorted(problems)


def _load(path: Path, schema_name: str) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise WorkerFailure.bad_spec(f"--spec: cannot read {path}: {e.strerror}") from e
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise WorkerFailure.bad_spec(f"{path}: not JSON: {e}") from e
    problems = validate(doc, schema_name)
    if problems:
        raise WorkerFailure.bad_spec("; ".join(problems))
    return doc


def _describe(error: jsonschema.ValidationError) -> list[str]:
    where = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in error.absolute_path).replace(".[", "[")
    prefix = (where + ": ") if where else ""
    kind, arg, value = error.validator, error.validator_value, error.instance
    if "propertyNames" in error.schema_path and isinstance(value, str):
        # jsonschema reports a property name that fails propertyNames at the object, naming the key only
        return [f"{_join(where, value)}: not allowed here"]
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        return [f"{_join(where, k)}: unknown field" for k in value if k not in allowed]
    if kind == "propertyNames":
        # e.g. a full fine-tune carries only its type
        return [f"{_join(where, k)}: not allowed here" for k in value if k != "type"]
    if kind == "required":
        return [f"{_join(where, k)}: required" for k in arg if k not in value]
    if kind == "not" and "required" in arg:
        return [f"{prefix}give one of {' or '.join(arg['required'])}, not both"]
    if kind in ("if", "then", "dependentSchemas"):
        return [prefix + error.message]
    if kind == "type":
        return [f"{prefix}must be {_types(arg)}, got {_show(value)}"]
    if kind == "enum":
        return [f"{prefix}must be one of {', '.join(map(str, arg))}, got {_show(value)}"]
    if kind == "const":
        return [f"{prefix}must be {_show(arg)}, got {_show(value)}"]
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[kind]
        return [f"{prefix}must be {op} {arg}, got {_show(value)}"]
    if kind == "minLength":
        return [f"{prefix}must not be empty" if arg == 1 else f"{prefix}must have at least {arg} characters"]
    if kind == "minItems":
        return [f"{prefix}must have at least {arg} item{'s' if arg != 1 else ''}"]
    if kind == "pattern":
        return [f"{prefix}must match {arg}, got {_show(value)}"]
    return [prefix + error.message]


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _types(arg: Any) -> str:
    names = {"integer": "an integer", "number": "a number", "string": "a string", "boolean": "true or false",
             "object": "an object", "array": "an array", "null": "null"}
    arg = [arg] if isinstance(arg, str) else arg
    return " or ".join(names.get(t, t) for t in arg)


def _show(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, (dict, list)) else type(value).__name__


def _workdir(spec_path: Path, workdir: Path | None) -> Path:
    return Path(workdir) if workdir is not None else Path.cwd()


def _resolve(base: Path, value: str | Path) -> Path:
    p = Path(value)
    return p if p.is_absolute() else base / p
