"""Llama-family checkpoints load as they are; anything else is refused naming what was found."""

import json

import pytest
import torch

from tuneforge_worker import model as models
from tuneforge_worker.errors import ExitCode, WorkerFailure


@pytest.mark.parametrize("model_type, options", [
    ("llama", {}), ("llama", {"tied": True}), ("mistral", {}), ("qwen2", {}),
    ("llama", {"shard_size": "100KB"}),
])
def test_llama_family_checkpoints_load(model_factory, model_type, options):
    path = model_factory(model_type, **options)
    if "shard_size" in options:
        assert (path / "model.safetensors.index.json").is_file()
    m = models.load_model(path, torch.device("cpu"))
    assert m.config.model_type == model_type
    assert m(torch.tensor([[1, 2, 3]])).logits.shape == (1, 3, 259)


def test_a_model_that_is_not_llama_family_is_refused_saying_what_it_is(tmp_path, tiny_llama):
    for f in tiny_llama.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    config = json.loads((tmp_path / "config.json").read_text())
    config.update(model_type="gpt2", architectures=["GPT2LMHeadModel"])
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(WorkerFailure) as e:
        models.check_model_dir(tmp_path)
    assert e.value.exit_code == ExitCode.BAD_INPUT
    assert "'gpt2' model (GPT2LMHeadModel), not a Llama-family one" in e.value.message


def test_a_directory_without_weights_is_refused_listing_what_it_holds(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (tmp_path / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(WorkerFailure) as e:
        models.check_model_dir(tmp_path)
    assert "no model.safetensors" in e.value.message and "pytorch_model.bin" in e.value.message


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_cuda_where_there_is_none_is_a_clear_out_of_resources():
    with pytest.raises(WorkerFailure) as e:
        models.resolve_device("cuda")
    assert e.value.exit_code == ExitCode.OUT_OF_RESOURCES and "no usable CUDA device" in e.value.message
    assert models.resolve_device("auto") == torch.device("cpu")
