"""OpenAI's Python SDK, unchanged, drives a whole fine-tune on tuneforge (issue #15); run by OpenAiSdkIT.

Its last part is a DPO job through method {"type": "dpo"} (issue #20): it needs a runtime that trains and evaluates
method dpo (the djl runtime's DPO).

The environment gives what a user's code would change: OPENAI_BASE_URL (the gateway's .../v1) and OPENAI_API_KEY (a
tuneforge project key); TUNEFORGE_BASE_MODEL names the base model to fine-tune. Prints what it checks; exits non-zero
(an AssertionError or the SDK's exception) on the first thing that is not as OpenAI's API would have it.
"""

import json
import os
import time

import openai
from openai import OpenAI

BASE = os.environ["TUNEFORGE_BASE_MODEL"]
TERMINAL = ("succeeded", "failed", "cancelled")
client = OpenAI(max_retries=2, timeout=120)


def chat_lines(first, last):
    return "".join(
        json.dumps({"messages": [{"role": "user", "content": f"Name {i}?"},
                                 {"role": "assistant", "content": f"Name {i} is N{i}."}]}) + "\n"
        for i in range(first, last)).encode()


def wait(job_id, minutes=6):
    """The job once it has ended: retrieved every half second (the SDK has no waiter), at most `minutes`."""
    deadline = time.monotonic() + minutes * 60
    job = client.fine_tuning.jobs.retrieve(job_id)
    while job.status not in TERMINAL:
        assert time.monotonic() < deadline, f"job {job_id} still {job.status}"
        time.sleep(0.5)
        job = client.fine_tuning.jobs.retrieve(job_id)
    return job


def say(text):
    print("sdk:", text, flush=True)


# Files: upload, list, retrieve, read back.
data = chat_lines(0, 24)
with open("train.jsonl", "wb") as out:
    out.write(data)
with open("train.jsonl", "rb") as f:
    file = client.files.create(file=f, purpose="fine-tune")
assert (file.object, file.purpose, file.bytes, file.filename) == ("file", "fine-tune", len(data), "train.jsonl"), file
assert file.id in [f.id for f in client.files.list(purpose="fine-tune")]
assert client.files.retrieve(file.id).filename == "train.jsonl"
assert client.files.content(file.id).content == data
say(f"file {file.id} uploaded, listed, read back")

# A job: created, followed to the end, with its events, checkpoints and result file.
job = client.fine_tuning.jobs.create(
    model=BASE, training_file=file.id, suffix="sdk", seed=3, metadata={"run": "python-sdk"},
    method={"type": "supervised", "supervised": {"hyperparameters": {
        "n_epochs": 1, "batch_size": 2, "learning_rate_multiplier": 5,
        # tuneforge's own hyperparameters ride along: a short run with two checkpoints
        "max_steps": 6, "save_steps": 3, "lora_r": 2}}})
assert job.status == "validating_files" and job.training_file == file.id and job.metadata == {"run": "python-sdk"}, job
job = wait(job.id)
assert job.status == "succeeded", job.error
assert job.fine_tuned_model == f"ft:{BASE}:{job.organization_id}:sdk:{job.id}", job.fine_tuned_model
assert job.hyperparameters.n_epochs == 1 and job.hyperparameters.batch_size == 2, job.hyperparameters
assert job.seed == 3 and job.finished_at and job.trained_tokens, job
say(f"job {job.id} succeeded: {job.fine_tuned_model}")

events = list(client.fine_tuning.jobs.list_events(job.id, limit=5))  # auto-paginates, 5 at a time
assert events[0].message == "The job has successfully completed", events[0]
assert events[-1].message == f"Created fine-tuning job: {job.id}", events[-1]
steps = sorted({e.data["step"] for e in events if e.type == "metrics"})
assert steps == [1, 2, 3, 4, 5, 6], steps  # a validation is a metrics event of its own, at its step
assert any("valid_loss" in e.data for e in events if e.type == "metrics"), "the split's validation is reported"
say(f"{len(events)} events, a metrics event per step")

checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
assert [c.step_number for c in checkpoints] == sorted((c.step_number for c in checkpoints), reverse=True)
assert checkpoints and all(c.fine_tuned_model_checkpoint.startswith(job.fine_tuned_model + ":ckpt-step-")
                           for c in checkpoints), checkpoints
say(f"checkpoints at steps {[c.step_number for c in checkpoints]}")
results = client.files.content(job.result_files[0]).text.splitlines()
assert results[0].startswith("step,train_loss") and len(results) == 7, results
assert job.fine_tuned_model in [m.id for m in client.models.list()]
assert job.id in [j.id for j in client.fine_tuning.jobs.list(metadata={"run": "python-sdk"})]

# Chat with the fine-tuned model and with a checkpoint; streamed, the same text.
question = [{"role": "user", "content": "Name 3?"}]
answer = client.chat.completions.create(model=job.fine_tuned_model, messages=question, max_tokens=8, temperature=0)
text = answer.choices[0].message.content
assert answer.model == job.fine_tuned_model and isinstance(text, str), answer
stream = client.chat.completions.create(model=job.fine_tuned_model, messages=question, max_tokens=8, temperature=0,
                                        stream=True)
assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == text
early = client.chat.completions.create(model=checkpoints[-1].fine_tuned_model_checkpoint, messages=question,
                                       max_tokens=8, temperature=0)
assert isinstance(early.choices[0].message.content, str), early
say(f"chat with {job.fine_tuned_model} and step {checkpoints[-1].step_number}: {text!r}")

# A second job, cancelled.
long_job = client.fine_tuning.jobs.create(model=BASE, training_file=file.id,
                                          hyperparameters={"n_epochs": 1, "max_steps": 100000, "batch_size": 1})
client.fine_tuning.jobs.cancel(long_job.id)
assert wait(long_job.id).status == "cancelled"
say(f"job {long_job.id} cancelled")

# A wrong key: the SDK's authentication error.
try:
    OpenAI(api_key="tf_not-a-key-of-this-platform-000000000", max_retries=0).fine_tuning.jobs.list()
    raise AssertionError("a wrong key was accepted")
except openai.AuthenticationError as e:
    assert e.status_code == 401
say("a wrong key: AuthenticationError")

# A bad file: the job fails with OpenAI's error, naming the line.
bad = client.files.create(file=("bad.jsonl", chat_lines(0, 3) + b"{not json\n"), purpose="fine-tune")
failed = wait(client.fine_tuning.jobs.create(model=BASE, training_file=bad.id).id)
assert failed.status == "failed" and failed.error.code == "invalid_file_format", failed
assert failed.error.param == "training_file" and "line 4" in failed.error.message, failed.error
say(f"a bad file: {failed.error.message}")
# DPO (issue #20): preference pairs in OpenAI's DPO format, the answer that names the number preferred to one that
# does not; the job shows method dpo with the hyperparameters it resolved to.
pairs = "".join(json.dumps({
    "input": {"messages": [{"role": "user", "content": f"Name {i}?"}]},
    "preferred_output": [{"role": "assistant", "content": f"Name {i} is N{i}."}],
    "non_preferred_output": [{"role": "assistant", "content": "I cannot say."}],
}) + "\n" for i in range(24)).encode()
pairs_file = client.files.create(file=("pairs.jsonl", pairs), purpose="fine-tune")
dpo = client.fine_tuning.jobs.create(
    model=BASE, training_file=pairs_file.id, suffix="sdk-dpo",
    method={"type": "dpo", "dpo": {"hyperparameters": {
        "beta": 0.2, "n_epochs": 1, "batch_size": 2, "learning_rate_multiplier": 5, "max_steps": 4, "lora_r": 2}}})
assert dpo.status == "validating_files" and dpo.method.type == "dpo", dpo
assert dpo.method.dpo.hyperparameters.beta == 0.2, dpo.method
dpo = wait(dpo.id)
assert dpo.status == "succeeded", dpo.error
hyper = dpo.method.dpo.hyperparameters
assert (hyper.beta, hyper.n_epochs, hyper.batch_size) == (0.2, 1, 2), dpo.method
assert dpo.fine_tuned_model == f"ft:{BASE}:{dpo.organization_id}:sdk-dpo:{dpo.id}", dpo.fine_tuned_model
dpo_steps = sorted({e.data["step"] for e in client.fine_tuning.jobs.list_events(dpo.id, limit=50)
                    if e.type == "metrics"})
assert dpo_steps == [1, 2, 3, 4], dpo_steps
answer = client.chat.completions.create(model=dpo.fine_tuned_model, messages=question, max_tokens=8, temperature=0)
assert isinstance(answer.choices[0].message.content, str), answer
say(f"dpo job {dpo.id} succeeded: {dpo.fine_tuned_model} says {answer.choices[0].message.content!r}")

# DPO on chat data: the job fails with the training file at fault.
on_chat = wait(client.fine_tuning.jobs.create(model=BASE, training_file=file.id, method={"type": "dpo"}).id)
assert on_chat.status == "failed" and on_chat.error.code == "invalid_file_format", on_chat
assert on_chat.error.param == "training_file" and "preference pairs" in on_chat.error.message, on_chat.error
say(f"dpo on chat data: {on_chat.error.message}")
print("sdk: PASS", flush=True)
