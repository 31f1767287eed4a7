"""Stopping, killing and resuming: a resumed run continues exactly where the uninterrupted one would be.

Every run here is a worker process with one math thread (``OMP_NUM_THREADS=1``): the same thread count
splits reductions the same way, which is what makes runs repeat to the last bit on the CPU.
"""

import json
import signal

import pytest
import torch
from conftest import run_worker
from training import (
    check_events,
    curve,
    lora,
    of,
    read_rest,
    read_until,
    run_process,
    start_worker,
    tensors,
    train_here,
    workdir_with,
    write_spec,
)

METHODS = {"lora-dropout": lora(dropout=0.2, target_modules=["all-linear"]), "full": {"type": "full"}}
# 16 examples in micro-batches of 2, two per step: 4 steps an epoch, 24 steps; validation every 6
HYPER = {"epochs": 6, "batch_size": 2, "gradient_accumulation_steps": 2, "learning_rate": 3e-3,
         "lr_scheduler": "cosine", "warmup_steps": 3, "packing": True, "max_seq_length": 96}


def resumable_spec(workdir, method):
    return write_spec(workdir, method=METHODS[method], validation=True, hyperparameters=HYPER, eval_steps=6,
                      save_steps=5, resume_from="latest")


def output_weights(workdir):
    out = workdir / "out"
    files = list(out.glob("adapter/adapter_model.safetensors")) + list(out.glob("model/model.safetensors"))
    return tensors(files[0])


@pytest.fixture(scope="module", params=list(METHODS))
def uninterrupted(request, tmp_path_factory, tiny_llama):
    workdir = workdir_with(tmp_path_factory.mktemp(f"uninterrupted-{request.param}"), tiny_llama, 16, 4)
    code, events = run_process(resumable_spec(workdir, request.param), workdir)
    assert code == 0, (workdir / "worker.log").read_text()
    return request.param, workdir, check_events(events)


def assert_continues(resumed_events, reference_events, from_step):
    assert resumed_events[0]["resumed_from_step"] == from_step
    reference = [c for c in curve(reference_events) if c[0] > from_step]
    resumed = curve(resumed_events)
    assert [c[0] for c in resumed] == [c[0] for c in reference]
    for got, want in zip(resumed, reference, strict=True):
        assert got == pytest.approx(want, rel=1e-5, abs=1e-7)
    assert of(resumed_events, "eval") == [e for e in of(reference_events, "eval") if e["step"] > from_step]
    finished, expected = resumed_events[-1], reference_events[-1]
    assert finished["best_step"] == expected["best_step"]
    assert finished["metrics"] == pytest.approx(expected["metrics"], rel=1e-5)


def test_a_run_stopped_by_sigterm_checkpoints_and_resumes_to_the_same_weights(uninterrupted, tmp_path, tiny_llama):
    method, reference_dir, reference = uninterrupted
    workdir = workdir_with(tmp_path, tiny_llama, 16, 4)
    spec = resumable_spec(workdir, method)
    proc = start_worker(spec, workdir)
    read_until(proc, lambda e: e["event"] == "progress" and e["step"] == 7)
    proc.send_signal(signal.SIGTERM)
    code, events = read_rest(proc)
    assert code == 143
    stopped = events[-1]
    assert stopped["event"] == "stopped" and stopped["reason"] == "SIGTERM" and stopped["step"] >= 7
    check_events(events)
    step = stopped["step"]
    assert stopped["checkpoint"] == str(workdir / "out" / f"checkpoint-{step}")
    assert (workdir / "out" / f"checkpoint-{step}" / "trainer_state.json").is_file()

    code, resumed = run_process(spec, workdir)
    assert code == 0, (workdir / "worker.log").read_text()
    assert_continues(check_events(resumed), reference, step)
    got, want = output_weights(workdir), output_weights(reference_dir)
    assert got.keys() == want.keys()
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=1e-5, atol=1e-7)
    state = json.loads((workdir / "out" / "trainer_state.json").read_text())
    assert state == pytest.approx(json.loads((reference_dir / "out" / "trainer_state.json").read_text()))


def test_a_killed_run_resumes_from_its_last_periodic_checkpoint(uninterrupted, tmp_path, tiny_llama):
    method, reference_dir, reference = uninterrupted
    workdir = workdir_with(tmp_path, tiny_llama, 16, 4)
    spec = resumable_spec(workdir, method)
    proc = start_worker(spec, workdir)
    read_until(proc, lambda e: e["event"] == "checkpoint" and e["step"] == 10)
    proc.kill()
    proc.wait()
    latest = max(int(p.name.split("-")[1]) for p in (workdir / "out").glob("checkpoint-*"))
    assert latest >= 10

    code, resumed = run_process(spec, workdir)
    assert code == 0, (workdir / "worker.log").read_text()
    assert_continues(check_events(resumed), reference, latest)
    got, want = output_weights(workdir), output_weights(reference_dir)
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=1e-5, atol=1e-7)


def test_the_same_seed_gives_the_same_run_and_another_seed_another(tmp_path, tiny_llama):
    runs = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        (tmp_path / name).mkdir()
        workdir = workdir_with(tmp_path / name, tiny_llama, 16)
        spec = write_spec(workdir, method=lora(dropout=0.3), hyperparameters={"seed": seed, "packing": True})
        code, events = run_process(spec, workdir)
        assert code == 0
        runs.append((curve(events), (workdir / "out" / "adapter" / "adapter_model.safetensors").read_bytes()))
    assert runs[0] == runs[1], "bit for bit"
    assert runs[0][0] != runs[2][0]


def test_resuming_with_other_data_or_batching_is_refused_but_another_length_is_not(tmp_path, tiny_llama):
    workdir = workdir_with(tmp_path, tiny_llama, 16)
    code, _ = train_here(write_spec(workdir, hyperparameters={"epochs": 1}, save_steps=2), workdir)
    assert code == 0
    spec = write_spec(workdir, "other.json", hyperparameters={"epochs": 1, "batch_size": 2}, resume_from="latest")
    code, events, _ = run_worker("train", "--spec", str(spec), "--workdir", str(workdir), cwd=workdir)
    assert code == 2 and events[-1]["code"] == "bad_spec"
    assert "checkpoint-4 was written for other data or batching" in events[-1]["message"]

    longer = write_spec(workdir, "longer.json", hyperparameters={"epochs": 2}, resume_from="out/checkpoint-2")
    code, events = train_here(longer, workdir)
    assert code == 0 and events[0]["resumed_from_step"] == 2 and events[-1]["metrics"]["global_step"] == 8


def test_resuming_from_a_directory_that_is_no_checkpoint_is_a_bad_spec(tmp_path, tiny_llama):
    workdir = workdir_with(tmp_path, tiny_llama, 4)
    (workdir / "nothing").mkdir()
    spec = write_spec(workdir, resume_from="nothing")
    code, events, _ = run_worker("train", "--spec", str(spec), "--workdir", str(workdir), cwd=workdir)
    assert code == 2 and "nothing is not a checkpoint directory" in events[-1]["message"]
