"""spec.json against the shared JSON Schema: every problem named with its path, defaults as the schema says."""

import json
import re
from dataclasses import fields
from pathlib import Path

import pytest

from tuneforge_worker import spec as specs
from tuneforge_worker.errors import ExitCode, WorkerFailure

DOC = Path(__file__).resolve().parents[3] / "docs" / "WORKER_PROTOCOL.md"


def doc_examples(kind: str) -> list[dict]:
    """The ```json train-spec / ```json eval-spec blocks of docs/WORKER_PROTOCOL.md."""
    return [json.loads(block) for block in re.findall(r"```json " + kind + r"\n(.*?)```", DOC.read_text(), re.S)]


def write(tmp_path: Path, doc) -> Path:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(doc))
    return path


def failure(tmp_path, doc, reader=specs.read_train_spec) -> WorkerFailure:
    with pytest.raises(WorkerFailure) as e:
        reader(write(tmp_path, doc), tmp_path)
    assert e.value.exit_code == ExitCode.BAD_INPUT and e.value.code == "bad_spec"
    return e.value


@pytest.mark.parametrize("example", doc_examples("train-spec"))
def test_every_train_spec_in_the_protocol_document_is_accepted(tmp_path, example):
    assert specs.validate(example, specs.TRAIN_SCHEMA) == []
    specs.read_train_spec(write(tmp_path, example), tmp_path)


@pytest.mark.parametrize("example", doc_examples("eval-spec"))
def test_every_eval_spec_in_the_protocol_document_is_accepted(tmp_path, example):
    assert specs.validate(example, specs.EVAL_SCHEMA) == []
    specs.read_eval_spec(write(tmp_path, example), tmp_path)


def test_a_bad_spec_names_every_problem_with_its_path(tmp_path):
    f = failure(tmp_path, {
        "base_model": "base", "data": {"train": "t.jsonl", "formt": "chat"},
        "method": {"type": "lora", "rank": 8, "dropout": 2},
        "hyperparameters": {"learning_rate": -1, "epochs": "three"}, "device": "tpu", "colour": "red"})
    for expected in ("data.formt: unknown field", "method.rank: unknown field", "method.dropout: must be <= 0.999",
                     "hyperparameters.learning_rate: must be > 0", "hyperparameters.epochs: must be an integer",
                     "device: must match", "colour: unknown field"):
        assert expected in f.message, f.message


def test_missing_required_fields_are_named(tmp_path):
    f = failure(tmp_path, {"data": {}})
    assert "base_model: required" in f.message and "method: required" in f.message
    assert "data.train: required" in f.message


def test_a_full_fine_tune_takes_no_lora_options(tmp_path):
    f = failure(tmp_path, {"base_model": "b", "data": {"train": "t"}, "method": {"type": "full", "r": 8}})
    assert "method.r" in f.message


def test_a_qlora_method_takes_the_lora_fields_and_double_quant_which_defaults_to_true(tmp_path):
    doc = {"base_model": "b", "data": {"train": "t"},
           "method": {"type": "qlora", "r": 4, "target_modules": ["all-linear"]}}
    method = specs.read_train_spec(write(tmp_path, doc), tmp_path).method
    assert method == specs.Qlora(r=4, target_modules=("all-linear",), double_quant=True)
    doc["method"]["double_quant"] = False
    assert specs.read_train_spec(write(tmp_path, doc), tmp_path).method.double_quant is False
    for other in ("lora", "full"):
        f = failure(tmp_path, {"base_model": "b", "data": {"train": "t"},
                               "method": {"type": other, "double_quant": True}})
        assert "method.double_quant: not allowed here" in f.message, f.message


def test_warmup_is_steps_or_a_ratio_not_both(tmp_path):
    f = failure(tmp_path, {"base_model": "b", "data": {"train": "t"}, "method": {"type": "full"},
                           "hyperparameters": {"warmup_steps": 3, "warmup_ratio": 0.1}})
    assert "warmup_steps or warmup_ratio" in f.message


def test_a_spec_that_is_not_json_is_a_bad_spec(tmp_path):
    (tmp_path / "spec.json").write_text("{not json")
    with pytest.raises(WorkerFailure) as e:
        specs.read_train_spec(tmp_path / "spec.json", tmp_path)
    assert "not JSON" in e.value.message


def test_relative_paths_resolve_against_the_workdir_and_defaults_are_the_schemas(tmp_path):
    s = specs.read_train_spec(write(tmp_path, {"base_model": "base", "data": {"train": "t.jsonl"},
                                               "method": {"type": "lora"}, "resume_from": "latest"}), tmp_path)
    assert s.base_model == tmp_path / "base" and s.data.train == tmp_path / "t.jsonl"
    assert s.resume_latest and s.resume_from is None and s.output_dir == tmp_path
    schema = specs.schema(specs.TRAIN_SCHEMA)["properties"]
    for f in fields(specs.Hyperparameters):
        prop = schema["hyperparameters"]["properties"][f.name]
        if "default" in prop:
            assert getattr(s.hyperparameters, f.name) == prop["default"], f.name
    lora = schema["method"]["properties"]
    assert s.method.r == lora["r"]["default"] and s.method.dropout == lora["dropout"]["default"]
    assert list(s.method.target_modules) == lora["target_modules"]["default"] and s.method.lora_alpha == 2 * s.method.r
    assert s.save_steps == schema["save_steps"]["default"] and s.precision == schema["precision"]["default"]
