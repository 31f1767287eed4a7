"""Two training processes on the CPU (torchrun, gloo) train the run one process trains.

Rows of each step are split across ranks and the loss is normalised by the step's global target count, so
the global batch is the single-process one. The runs agree to a relative 1e-5 rather than bit for bit:
each rank sums its rows' losses and gradients before the all-reduce adds the two partial sums, and its rows
are padded to its own longest row, so float32 additions happen in another order and matrix products on other
shapes (measured: about 2e-7 relative over 8 steps, AdamW's normalised updates keep it from growing).
"""

import signal
import subprocess
import sys

import pytest
import torch
from training import (
    check_events,
    curve,
    dpo,
    dpo_spec,
    dpo_workdir,
    lora,
    of,
    read_rest,
    read_until,
    run_process,
    tensors,
    train_here,
    workdir_with,
    worker_env,
    write_spec,
)

HYPER = {"epochs": 2, "batch_size": 3, "gradient_accumulation_steps": 2, "packing": True, "max_seq_length": 64,
         "learning_rate": 3e-3, "lr_scheduler": "cosine", "warmup_steps": 1}
TOL = dict(rel=1e-5, abs=1e-6)


def start_torchrun(spec, workdir, processes=2):
    with open(workdir / "worker.log", "a") as log:
        return subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes),
                                 "--standalone", "-m", "tuneforge_worker", "train", "--spec", str(spec),
                                 "--workdir", str(workdir)], cwd=workdir, env=worker_env(), stdout=subprocess.PIPE,
                                stderr=log, text=True)


def assert_same_run(got, want):
    assert [c[0] for c in got] == [c[0] for c in want]
    for g, w in zip(got, want, strict=True):
        assert g == pytest.approx(w, **TOL)


def spec_in(tmp_path, tiny_llama, name, method, **fields):
    workdir = tmp_path / name
    workdir.mkdir()
    workdir_with(workdir, tiny_llama, train_rows=23, validation_rows=5)
    fields.setdefault("hyperparameters", HYPER)
    return write_spec(workdir, method=method, validation=True, eval_steps=3, **fields), workdir


def test_two_processes_under_ddp_train_the_lora_run_of_one(tmp_path, tiny_llama):
    single_spec, single = spec_in(tmp_path, tiny_llama, "one", lora(), save_steps=4)
    code, one = run_process(single_spec, single)
    assert code == 0
    spec, workdir = spec_in(tmp_path, tiny_llama, "two", lora(), save_steps=4)
    code, two = read_rest(start_torchrun(spec, workdir))
    assert code == 0, (workdir / "worker.log").read_text()[-3000:]
    check_events(two)
    assert two[0]["world_size"] == 2 and two[0]["trainable_parameters"] == one[0]["trainable_parameters"]
    assert [e["event"] for e in two] == [e["event"] for e in one], "only rank 0 reports, once"
    assert_same_run(curve(two), curve(one))
    for a, b in zip(of(two, "eval"), of(one, "eval"), strict=True):
        assert a["valid_loss"] == pytest.approx(b["valid_loss"], **TOL)
    got = tensors(workdir / "out" / "adapter" / "adapter_model.safetensors")
    want = tensors(single / "out" / "adapter" / "adapter_model.safetensors")
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=1e-4, atol=1e-6)


def test_two_processes_under_ddp_train_the_prefix_tuning_run_of_one(tmp_path, tiny_llama):
    method = {"type": "prefix_tuning", "num_virtual_tokens": 3, "prefix_projection": True, "encoder_hidden_size": 24}
    hyper = {**HYPER, "epochs": 1}
    single_spec, single = spec_in(tmp_path, tiny_llama, "one", method, hyperparameters=hyper, save_steps=None)
    code, one = train_here(single_spec, single)
    assert code == 0
    spec, workdir = spec_in(tmp_path, tiny_llama, "two", method, hyperparameters=hyper, save_steps=None)
    code, two = read_rest(start_torchrun(spec, workdir))
    assert code == 0, (workdir / "worker.log").read_text()[-3000:]
    assert two[0]["world_size"] == 2 and [e["event"] for e in two] == [e["event"] for e in one]
    assert_same_run(curve(two), curve(one))
    got = tensors(workdir / "out" / "adapter" / "adapter_model.safetensors")
    want = tensors(single / "out" / "adapter" / "adapter_model.safetensors")
    torch.testing.assert_close(got["prompt_embeddings"], want["prompt_embeddings"], rtol=1e-4, atol=1e-6)


def test_two_processes_under_ddp_train_the_dpo_run_of_one(tmp_path, tiny_llama):
    """9 pairs in micro-batches of 2, two per step: the last step of an epoch holds one pair, so rank 1 runs an
    empty micro-batch; 5 validation pairs make 3 batches, so it validates an empty one too."""
    hyper = {"epochs": 2, "batch_size": 2, "gradient_accumulation_steps": 2, "learning_rate": 0.01,
             "lr_scheduler": "cosine", "warmup_steps": 1}
    runs = {}
    for name in ("one", "two"):
        workdir = dpo_workdir(tmp_path / name, tiny_llama, train_rows=9, validation_rows=5)
        spec = dpo_spec(workdir, method=dpo(), hyperparameters=hyper, eval_steps=2, save_steps=None)
        code, events = run_process(spec, workdir) if name == "one" else read_rest(start_torchrun(spec, workdir))
        assert code == 0, (workdir / "worker.log").read_text()[-3000:]
        runs[name] = workdir, check_events(events)
    (single, one), (workdir, two) = runs["one"], runs["two"]
    assert two[0]["world_size"] == 2 and [e["event"] for e in two] == [e["event"] for e in one]
    # rank 0 scored the reference (as one process does) and the other rank trained against it
    reference = "out/reference_logps.json"
    assert (workdir / reference).read_text() == (single / reference).read_text()
    assert_same_run(curve(two), curve(one))
    for kind, keys in (("progress", ("reward_accuracy", "reward_margin")),
                       ("eval", ("valid_loss", "token_accuracy", "reward_accuracy", "reward_margin"))):
        got, want = ([e[k] for e in of(run, kind) for k in keys] for run in (two, one))
        assert got == pytest.approx(want, **TOL), kind
    got = tensors(workdir / "out" / "adapter" / "adapter_model.safetensors")
    want = tensors(single / "out" / "adapter" / "adapter_model.safetensors")
    for name in want:  # every linear layer's adapter after 6 steps at 1e-2: rounding reaches a few 1e-6 (measured 5e-6)
        torch.testing.assert_close(got[name], want[name], rtol=1e-4, atol=2e-5)


def test_two_processes_under_fsdp2_stop_together_and_resume_the_full_fine_tune_of_one(tmp_path, tiny_llama):
    hyper = dict(HYPER, epochs=6)
    single_spec, single = spec_in(tmp_path, tiny_llama, "one", {"type": "full"}, hyperparameters=hyper)
    code, one = run_process(single_spec, single)
    assert code == 0
    spec, workdir = spec_in(tmp_path, tiny_llama, "two", {"type": "full"}, hyperparameters=hyper,
                            resume_from="latest")
    proc = start_torchrun(spec, workdir)
    first = read_until(proc, lambda e: e["event"] == "progress" and e["step"] == 5)
    proc.send_signal(signal.SIGTERM)  # torchrun passes it on to both ranks
    _, rest = read_rest(proc)  # torchrun itself reports a signal as exit 1
    first += rest
    stopped = first[-1]
    assert stopped["event"] == "stopped" and stopped["step"] >= 5, (workdir / "worker.log").read_text()[-3000:]
    assert len(of(first, "stopped")) == 1
    assert (workdir / "out" / f"checkpoint-{stopped['step']}" / "model.safetensors").is_file()

    code, resumed = read_rest(start_torchrun(spec, workdir))
    assert code == 0, (workdir / "worker.log").read_text()[-3000:]
    check_events(first + resumed)
    assert resumed[0]["resumed_from_step"] == stopped["step"]
    assert_same_run(curve(first) + curve(resumed), curve(one))
    got = tensors(workdir / "out" / "model" / "model.safetensors")
    want = tensors(single / "out" / "model" / "model.safetensors")
    assert got.keys() == want.keys()
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=1e-4, atol=1e-5)
