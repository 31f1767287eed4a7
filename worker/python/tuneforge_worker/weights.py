"""What a run trains and how it is written down: a PEFT LoRA adapter, or every weight of the model.

Each kind names its trainable tensors as its output file names them (PEFT's
``base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight``, or the Hugging Face names of
``model.safetensors``); checkpoints key the AdamW moments by the same names. ``save`` takes the float32 tensors
already gathered to the CPU (under FSDP2 no single rank holds them), so writing is the same with one process
or many; ``restore`` copies a saved directory's tensors into the live parameters exactly.
"""

from __future__ import annotations

import enum
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
MODEL_WEIGHTS = "model.safetensors"
#: the files besides the weights that make a model directory loadable, copied from the base model
MODEL_FILES = ("generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
               "chat_template.jinja", "chat_template.json", "vocab.json", "merges.txt", "tokenizer.model")


class TrainedWeights:
    """The trainable parameters of ``causal_lm`` by output name, and the output layout they are saved in."""

    output_kind: str  # "adapter" or "model"

    def __init__(self, causal_lm: nn.Module):
        self.causal_lm = causal_lm

    def name_of(self, fqn: str) -> str:
        """The output name of the parameter ``causal_lm`` calls ``fqn``."""
        raise NotImplementedError

    def trainable(self) -> list[tuple[str, nn.Parameter]]:
        """(output name, parameter) of every trained tensor, in ``named_parameters`` order (tied weights once)."""
        return [(self.name_of(fqn), p) for fqn, p in self.causal_lm.named_parameters() if p.requires_grad]

    def save(self, directory: Path, tensors: dict[str, torch.Tensor]) -> None:
        raise NotImplementedError

    def save_checkpoint(self, directory: Path, tensors: dict[str, torch.Tensor]) -> None:
        """Writes a checkpoint's weights: the output layout, and whatever else ``restore`` reads."""
        self.save(directory, tensors)

    def weights_file(self, directory: Path) -> Path:
        raise NotImplementedError

    def restore(self, directory: Path) -> None:
        saved = load_file(str(self.weights_file(directory)))
        with torch.no_grad():
            for name, p in self.trainable():
                if name not in saved:
                    raise KeyError(f"{self.weights_file(directory)} has no tensor {name}")
                p.copy_(saved[name].to(p.dtype))


class LoraWeights(TrainedWeights):
    """Only the adapter trains; the output is a PEFT adapter directory."""

    output_kind = "adapter"

    def __init__(self, peft_model):
        super().__init__(peft_model.get_base_model())
        self.peft_model = peft_model
        self.adapter_name = peft_model.active_adapter

    def name_of(self, fqn: str) -> str:
        # PEFT saves "base_model.model." + the name without the adapter's own segment
        return "base_model.model." + fqn.replace(f".{self.adapter_name}.", ".")

    def weights_file(self, directory: Path) -> Path:
        return directory / ADAPTER_WEIGHTS

    def save(self, directory: Path, tensors: dict[str, torch.Tensor]) -> None:
        write_adapter(directory, self.peft_model.peft_config[self.adapter_name], tensors)


class FullWeights(TrainedWeights):
    """Every weight trains; the output is a complete Hugging Face model directory in float32."""

    output_kind = "model"

    def __init__(self, causal_lm: nn.Module, base_model: Path):
        super().__init__(causal_lm)
        self.base_model = base_model
        for p in causal_lm.parameters():
            p.requires_grad_(True)

    def name_of(self, fqn: str) -> str:
        return fqn

    def weights_file(self, directory: Path) -> Path:
        return directory / MODEL_WEIGHTS

    def save(self, directory: Path, tensors: dict[str, torch.Tensor]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        config = json.loads((self.base_model / "config.json").read_text(encoding="utf-8"))
        for key in ("dtype", "torch_dtype"):  # the weights are float32 now, whatever the base held
            if key in config:
                config[key] = "float32"
        (directory / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        for name in MODEL_FILES:
            if (self.base_model / name).is_file():
                shutil.copyfile(self.base_model / name, directory / name)
        save_file(_contiguous(tensors), str(directory / MODEL_WEIGHTS), metadata={"format": "pt"})


def write_adapter(directory: Path, peft_config, tensors: dict[str, torch.Tensor]) -> None:
    """A PEFT adapter directory as ``save_pretrained`` writes it: the config (for inference) and the tensors."""
    directory.mkdir(parents=True, exist_ok=True)
    config = peft_config.to_dict()
    config["inference_mode"] = True
    (directory / ADAPTER_CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True, default=_json_value)
                                            + "\n", encoding="utf-8")
    save_file(_contiguous(tensors), str(directory / ADAPTER_WEIGHTS), metadata={"format": "pt"})


def _contiguous(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in tensors.items()}


def _json_value(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot write {type(value).__name__} to adapter_config.json")
