"""Bad input ends ``train`` with the protocol's exit code and a message that says what is wrong."""

import json
import resource
import shutil
import subprocess
import sys

import pytest
import torch
from conftest import run_worker
from training import check_events, workdir_with, worker_env, write_jsonl, write_spec


def train_process(spec, workdir):
    code, events, stderr = run_worker("train", "--spec", str(spec), "--workdir", str(workdir), cwd=workdir)
    check_events(events)
    return code, events[-1], stderr


@pytest.fixture
def workdir(tmp_path, tiny_llama):
    return workdir_with(tmp_path, tiny_llama, train_rows=4)


def test_unknown_spec_fields_are_named(workdir):
    spec = write_spec(workdir, colour="red", hyperparameters={"learning_rte": 0.1})
    code, failed, _ = train_process(spec, workdir)
    assert (code, failed["code"], failed["exit_code"]) == (2, "bad_spec", 2)
    assert "colour: unknown field" in failed["message"]
    assert "hyperparameters.learning_rte: unknown field" in failed["message"]


def test_a_model_that_is_not_llama_family_is_refused_saying_what_it_is(workdir, tiny_llama):
    (workdir / "base").unlink()
    shutil.copytree(tiny_llama, workdir / "base")
    config = json.loads((workdir / "base" / "config.json").read_text())
    config.update(model_type="gpt2", architectures=["GPT2LMHeadModel"])
    (workdir / "base" / "config.json").write_text(json.dumps(config))
    code, failed, _ = train_process(write_spec(workdir), workdir)
    assert code == 2 and failed["code"] == "bad_spec"
    assert "holds a 'gpt2' model (GPT2LMHeadModel), not a Llama-family one" in failed["message"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_cuda_where_there_is_none_is_out_of_resources_with_a_clear_message(workdir):
    code, failed, _ = train_process(write_spec(workdir, device="cuda"), workdir)
    assert code == 3 and failed["code"] == "out_of_resources"
    assert failed["message"].startswith("device: cuda was asked for, but this machine has no usable CUDA device")


def test_fp16_on_the_cpu_is_a_bad_spec(workdir):
    code, failed, _ = train_process(write_spec(workdir, precision="fp16"), workdir)
    assert code == 2 and "fp16 trains on CUDA only" in failed["message"]


@pytest.mark.parametrize("file, line, message", [
    ("train.jsonl", "{not json", "train.jsonl line 3: not JSON"),
    ("train.jsonl", '{"messages": [{"role": "user", "content": "a"}]}', "train.jsonl line 3: messages: no assistant"),
    ("validation.jsonl", '{"messages": [{"role": "user", "content": 7}]}',
     "validation.jsonl line 3: messages[0]: content: must be a string"),
])
def test_bad_data_is_named_by_file_and_line(workdir, file, line, message):
    good = [{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}] * 2
    write_jsonl(workdir / "validation.jsonl", good)
    (workdir / file).write_text("".join(json.dumps(g) + "\n" for g in good) + line + "\n")
    code, failed, _ = train_process(write_spec(workdir, validation=True), workdir)
    assert code == 2 and failed["code"] == "bad_data"
    assert message in failed["message"]


def test_a_missing_data_file_is_bad_data(workdir):
    spec = write_spec(workdir, data={"train": "nowhere.jsonl"})
    code, failed, _ = train_process(spec, workdir)
    assert code == 2 and failed["code"] == "bad_data" and "nowhere.jsonl: no such file" in failed["message"]


def test_running_out_of_memory_is_out_of_resources_saying_where(tmp_path, tiny_llama):
    workdir = workdir_with(tmp_path, tiny_llama, train_rows=1)
    # 256 rows of 500 tokens in one micro-batch, in a process allowed 1.5 GiB of address space (a tiny run needs
    # under 0.8)
    write_jsonl(workdir / "train.jsonl", [{"prompt": "x" * 400, "completion": "y" * 100}] * 256)
    spec = write_spec(workdir, data={"train": "train.jsonl", "format": "completion"}, method={"type": "full"},
                      hyperparameters={"batch_size": 256, "max_seq_length": 512, "epochs": 1})
    limit = int(1.5 * 2**30)
    proc = subprocess.run([sys.executable, "-m", "tuneforge_worker", "train", "--spec", str(spec), "--workdir",
                           str(workdir)], cwd=workdir, env=worker_env(), capture_output=True, text=True, timeout=300,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
    events = check_events([json.loads(line) for line in proc.stdout.splitlines()])
    assert proc.returncode == 3, proc.stderr[-2000:]
    failed = events[-1]
    assert failed["code"] == "out_of_resources" and failed["exit_code"] == 3
    assert failed["message"].startswith("out of host memory in step 1: ")
    assert "can't allocate memory" in failed["message"] and "smaller batch_size" in failed["message"]
