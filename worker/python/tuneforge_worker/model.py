"""Llama-family Hugging Face checkpoints: what a model directory must hold, devices, loading, LoRA.

The same code loads the tiny models the tests write and a real checkpoint (llama, mistral, qwen2; one
``model.safetensors`` or shards with their index; tied or untied embeddings): transformers reads the
weights, this module only checks first what it is given, so a wrong directory fails as ``bad_spec``
naming what it found rather than as a stack trace.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch

from .errors import WorkerFailure
from .spec import Lora

LLAMA_FAMILY = ("llama", "mistral", "qwen2")
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

log = logging.getLogger(__name__)


def check_model_dir(path: Path, what: str = "base_model") -> dict:
    """The directory's config.json, once it is known to be a Llama-family checkpoint with safetensors weights."""
    if not path.is_dir():
        raise WorkerFailure.bad_spec(f"{what}: {path} is not a directory")
    config_file = path / "config.json"
    if not config_file.is_file():
        raise WorkerFailure.bad_spec(f"{what}: no config.json in {path} (found: {_listing(path)})")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except ValueError as e:
        raise WorkerFailure.bad_spec(f"{what}: {config_file} is not JSON: {e}") from e
    model_type = config.get("model_type")
    if model_type not in LLAMA_FAMILY:
        archs = config.get("architectures")
        raise WorkerFailure.bad_spec(
            f"{what}: {path} holds a {model_type!r} model{f' ({archs[0]})' if archs else ''}, "
            f"not a Llama-family one (model_type one of {', '.join(LLAMA_FAMILY)})")
    if not ((path / "model.safetensors").is_file() or (path / "model.safetensors.index.json").is_file()):
        raise WorkerFailure.bad_spec(
            f"{what}: no model.safetensors or model.safetensors.index.json in {path} (found: {_listing(path)})")
    if not (path / "tokenizer.json").is_file():
        raise WorkerFailure.bad_spec(f"{what}: no tokenizer.json in {path} (found: {_listing(path)})")
    return config


def resolve_device(name: str) -> torch.device:
    """``cpu``, ``cuda``, ``cuda:N`` or ``auto`` (the first GPU if there is one)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise WorkerFailure.out_of_resources(
            f"device: {name} was asked for, but this machine has no usable CUDA device (torch {torch.__version__}, "
            f"{build})")
    index = int(name.split(":", 1)[1]) if ":" in name else 0
    if index >= torch.cuda.device_count():
        raise WorkerFailure.out_of_resources(
            f"device: {name} was asked for, but there are {torch.cuda.device_count()} CUDA devices")
    return torch.device("cuda", index)


def load_tokenizer(path: Path):
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    except Exception as e:  # transformers raises many kinds; all mean this directory cannot be used
        raise WorkerFailure.bad_spec(f"base_model: cannot load the tokenizer of {path}: {e}") from e
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(path: Path, device: torch.device, dtype: torch.dtype = torch.float32, attention: str = "sdpa"):
    """The causal LM of a checked directory, on ``device``, weights in ``dtype``, in eval mode."""
    from transformers import AutoModelForCausalLM

    check_model_dir(path)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            str(path), dtype=dtype, attn_implementation=attention, local_files_only=True)
    except (OSError, ValueError, KeyError) as e:
        raise WorkerFailure.bad_spec(f"base_model: cannot load {path}: {e}") from e
    return model.to(device).eval()


def load_nf4_base(path: Path, device: torch.device, compute_dtype: torch.dtype, double_quant: bool):
    """The causal LM with its decoder projections in 4-bit NF4, for QLoRA (docs/WORKER_PROTOCOL.md, "QLoRA").

    With bitsandbytes installed (and a CUDA device, which it needs) through PEFT's standard path: transformers'
    ``BitsAndBytesConfig`` NF4 load (not tested here: neither the package index nor the GPU machine has it);
    otherwise this runtime's ``nf4.NF4Linear``, quantised on the CPU so the full-precision projections never reach
    the device."""
    import importlib.util

    from .nf4 import quantize_projections

    if device.type == "cuda" and importlib.util.find_spec("bitsandbytes") is not None:
        from transformers import AutoModelForCausalLM, BitsAndBytesConfig

        check_model_dir(path)
        config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                    bnb_4bit_use_double_quant=double_quant, bnb_4bit_compute_dtype=compute_dtype)
        model = AutoModelForCausalLM.from_pretrained(str(path), quantization_config=config, dtype=compute_dtype,
                                                     device_map={"": device}, local_files_only=True)
        return model.eval()
    model = load_model(path, torch.device("cpu"), compute_dtype)
    replaced = quantize_projections(model.model.layers, PROJECTIONS, double_quant, compute_dtype)
    log.info("QLoRA: %d projections in NF4 (double_quant %s, compute %s)", replaced, double_quant, compute_dtype)
    return model.to(device)


def lora_config(lora: Lora):
    from peft import LoraConfig

    targets = "all-linear" if "all-linear" in lora.target_modules else list(lora.target_modules)
    return LoraConfig(r=lora.r, lora_alpha=lora.lora_alpha, lora_dropout=lora.dropout, target_modules=targets,
                      use_rslora=lora.use_rslora, bias="none", task_type="CAUSAL_LM")


def attach_lora(model, lora: Lora, seed: int):
    """PEFT LoRA on the chosen projections; A is initialised from ``seed`` (B starts at zero, as PEFT does)."""
    from peft import get_peft_model

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return get_peft_model(model, lora_config(lora))


def load_adapter(model, adapter_dir: Path, trainable: bool = False):
    """A PEFT adapter directory on top of ``model``; a prompt or prefix tuning adapter, to run rather than train, as
    ``prompt_learning.VirtualTokenLM`` (which PEFT's own forward cannot be for the runtime's generation)."""
    from peft import PeftModel

    from .prompt_learning import VirtualTokenLM, is_prompt_learning

    if not (adapter_dir / "adapter_config.json").is_file():
        raise WorkerFailure.bad_spec(
            f"adapter: no adapter_config.json in {adapter_dir} (found: {_listing(adapter_dir)})")
    try:
        peft_model = PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=trainable)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise WorkerFailure.bad_spec(f"adapter: cannot load {adapter_dir}: {e}") from e
    return VirtualTokenLM(peft_model) if is_prompt_learning(peft_model) and not trainable else peft_model


def pick_model_dir(path: Path) -> tuple[Path, Path | None]:
    """(base model, adapter) for a directory that is either a full model or a PEFT adapter naming its base."""
    config = path / "adapter_config.json"
    if config.is_file():
        base = json.loads(config.read_text(encoding="utf-8")).get("base_model_name_or_path")
        if not base:
            raise WorkerFailure.bad_spec(f"{path}: adapter_config.json names no base_model_name_or_path")
        return Path(base), path
    return path, None


def _listing(path: Path, limit: int = 8) -> str:
    try:
        names = sorted(p.name for p in path.iterdir())
    except OSError:
        return "nothing readable"
    if not names:
        return "an empty directory"
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")
