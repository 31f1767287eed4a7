"""``train`` with method ``qlora``: the decoder projections are NF4 while the adapter trains, the output is an
ordinary PEFT LoRA adapter that loads on the unquantised base."""

import json

import pytest
import torch
from training import check_events, tensors, train_here, workdir_with, write_spec

from tuneforge_worker.model import PROJECTIONS, load_adapter, load_model, load_nf4_base
from tuneforge_worker.nf4 import NF4Linear


def qlora(**options) -> dict:
    return {"type": "qlora", "r": 4, "dropout": 0.0, "target_modules": ["all-linear"], **options}


@pytest.mark.parametrize("double_quant", [True, False])
def test_the_nf4_base_holds_every_decoder_projection_in_nf4_and_nothing_else(tiny_llama, double_quant):
    model = load_nf4_base(tiny_llama, torch.device("cpu"), torch.float32, double_quant)
    quantised = {name.rsplit(".", 1)[-1] for name, m in model.named_modules() if isinstance(m, NF4Linear)}
    assert quantised == set(PROJECTIONS)
    assert sum(isinstance(m, NF4Linear) for m in model.modules()) == 7 * model.config.num_hidden_layers
    assert type(model.lm_head) is torch.nn.Linear
    assert all(m.nf4().double_quant == double_quant for m in model.modules() if isinstance(m, NF4Linear))


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_a_qlora_run_trains_an_adapter_that_loads_on_the_unquantised_base(tmp_path, tiny_llama, precision):
    workdir = workdir_with(tmp_path, tiny_llama, train_rows=16)
    spec = write_spec(workdir, method=qlora(), precision=precision, save_steps=None)
    code, events = train_here(spec, workdir)
    assert code == 0
    check_events(events)
    progress = [e for e in events if e["event"] == "progress"]
    assert progress[-1]["train_loss"] < progress[0]["train_loss"]

    adapter = workdir / "out" / "adapter"
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["base_model_name_or_path"] == str(workdir / "base")
    weights = tensors(adapter / "adapter_model.safetensors")
    assert len(weights) == 2 * 7 * 2 and all(t.dtype == torch.float32 for t in weights.values())
    tuned = load_adapter(load_model(workdir / "base", torch.device("cpu")), adapter)
    assert not any(isinstance(m, NF4Linear) for m in tuned.modules())
    state = json.loads((workdir / "out" / "trainer_state.json").read_text())
    assert state["global_step"] == progress[-1]["step"]

