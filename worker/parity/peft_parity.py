#!/usr/bin/env python3
"""PEFT parity: does transformers + PEFT compute what the djl worker computes for an adapter or a model?

The runtimes write LoRA adapters in PEFT's layout (adapter_config.json, adapter_model.safetensors with
base_model.model.<module>.lora_A/B.weight) and fully fine-tuned models in Hugging Face's. This script
loads the model with transformers' LlamaForCausalLM and the adapter with peft.PeftModel, computes float32
logits on the token ids that the djl worker used, and compares them with the worker's logits.json
(written by worker/parity/write-logits.sh). It passes when, for the base model and for model + adapter
(without --adapter: for the model alone),

    max |transformers - worker| <= tolerance * max |worker|        (tolerance 1e-4)

the criterion of FixtureParityTest. It also refuses to pass vacuously: every lora tensor of the file
must be loaded by PEFT with the same values, and the adapter must change the logits by much more than
the tolerance (an untrained adapter, B = 0, changes nothing and would "match" however PEFT applied it).

    python worker/parity/peft_parity.py --model MODEL_DIR --adapter ADAPTER_DIR --logits logits.json
    python worker/parity/peft_parity.py --model FULL_MODEL_DIR --logits logits.json
    python worker/parity/peft_parity.py --self-test

--self-test checks the script itself: the comparison with numpy alone, and, where torch, transformers,
peft and safetensors are installed, a full round trip on a random tiny Llama and a random PEFT adapter
(logits it writes itself must pass; the same logits perturbed by 10x the tolerance must fail).

Exit status: 0 parity holds, 1 it does not, 2 bad input or a vacuous comparison.
"""

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

FORMAT = "tuneforge-logits-v1"
TOLERANCE = 1e-4
# The adapter must move the logits by at least this many tolerances for the comparison to mean anything.
MIN_EFFECT = 10.0


class ParityError(Exception):
    """Bad input, or a comparison that could not prove anything (exit 2)."""


def compare(ours, reference, tolerance=TOLERANCE):
    """Returns (ok, max_abs_diff, relative) for max|ours - ref| <= tolerance * max|ref|."""
    ours = np.asarray(ours, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if ours.shape != reference.shape:
        raise ParityError(f"shape {ours.shape} != reference shape {reference.shape}")
    if not (np.isfinite(ours).all() and np.isfinite(reference).all()):
        return False, math.inf, math.inf
    scale = float(np.abs(reference).max())
    diff = float(np.abs(ours - reference).max())
    relative = diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf)
    return relative <= tolerance, diff, relative


def read_logits(path, with_adapter=True):
    """(ids, base logits, logits); without an adapter the file holds the model's logits alone and base is None."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise ParityError(f"cannot read {path}: {e}") from e
    if doc.get("format") != FORMAT:
        raise ParityError(f"{path}: format {doc.get('format')!r}, expected {FORMAT!r}")
    if with_adapter != ("base_logits" in doc):
        raise ParityError(f"{path}: written {'without' if with_adapter else 'with'} an adapter, compared "
                          f"{'with' if with_adapter else 'without'} one")
    ids = np.asarray(doc["input_ids"], dtype=np.int64)
    tuned = np.asarray(doc["logits"], dtype=np.float32)
    base = np.asarray(doc["base_logits"], dtype=np.float32) if with_adapter else None
    if ids.ndim != 2 or tuned.shape[:2] != ids.shape or (base is not None and tuned.shape != base.shape):
        raise ParityError(f"{path}: input_ids {ids.shape}, base_logits {None if base is None else base.shape}, "
                          f"logits {tuned.shape}")
    return ids, base, tuned


def adapter_effect(base, tuned):
    """How far the adapter moves the logits, relative to their scale."""
    return float(np.abs(tuned.astype(np.float64) - base).max() / max(np.abs(base).max(), 1e-30))


def torch_logits(model_dir, adapter_dir, ids):
    """(base logits, adapted logits, adapter tensors loaded) from transformers + PEFT, float32 on CPU; without
    an adapter, (the model's logits, None, 0)."""
    import torch
    import transformers
    from peft import PeftModel
    from safetensors.numpy import load_file
    from transformers import LlamaForCausalLM

    torch.manual_seed(0)
    # transformers 5 renamed torch_dtype to dtype (and defaults to the checkpoint's dtype): ask for
    # float32 either way, as the worker computes in float32.
    dtype_arg = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
    model = LlamaForCausalLM.from_pretrained(model_dir, attn_implementation="eager", **{dtype_arg: torch.float32})
    model = model.to(torch.float32).eval()
    input_ids = torch.from_numpy(ids)
    with torch.no_grad():
        base = model(input_ids=input_ids).logits.float().numpy()
        if adapter_dir is None:
            return base, None, 0
        peft_model = PeftModel.from_pretrained(model, adapter_dir)
        peft_model.eval()
        tuned = peft_model(input_ids=input_ids).logits.float().numpy()

    # Every tensor in the file must be in the model under PEFT's runtime name, with the same values.
    stored = load_file(str(Path(adapter_dir) / "adapter_model.safetensors"))
    state = {k: v.detach().float().numpy() for k, v in peft_model.state_dict().items() if "lora_" in k}
    missing = []
    for name, value in stored.items():
        runtime = name.replace(".lora_A.weight", ".lora_A.default.weight").replace(
            ".lora_B.weight", ".lora_B.default.weight")
        if runtime not in state or state[runtime].shape != value.shape or not np.array_equal(
                state[runtime], value.astype(np.float32)):
            missing.append(name)
    if missing:
        raise ParityError(f"PEFT did not load {len(missing)} of {len(stored)} adapter tensors as stored, "
                          f"e.g. {missing[:3]}")
    if len(state) != len(stored):
        raise ParityError(f"the model has {len(state)} lora tensors, the file {len(stored)}")
    return base, tuned, len(stored)


def check(model_dir, adapter_dir, logits_file, tolerance=TOLERANCE, allow_no_effect=False, report=None):
    """Runs the comparison and prints a report; returns True when parity holds. ``report``, a dict, receives the
    numbers: ``relative`` (model + adapter, or the model alone), ``base_relative`` and ``adapter_effect``."""
    report = {} if report is None else report
    if adapter_dir is None:
        return check_model(model_dir, logits_file, tolerance, report)
    ids, ref_base, ref_tuned = read_logits(logits_file)
    effect = adapter_effect(ref_base, ref_tuned)
    if effect < MIN_EFFECT * tolerance and not allow_no_effect:
        raise ParityError(f"the adapter changes the worker's logits by only {effect:.2e} relative "
                          f"(< {MIN_EFFECT * tolerance:.0e}): train it first, or the comparison proves nothing")
    base, tuned, tensors = torch_logits(model_dir, adapter_dir, ids)
    ok_base, diff_base, rel_base = compare(base, ref_base, tolerance)
    ok_tuned, diff_tuned, rel_tuned = compare(tuned, ref_tuned, tolerance)
    print(f"ids {ids.shape}, vocab {ref_base.shape[-1]}, adapter tensors {tensors}, "
          f"adapter effect {effect:.3e} relative")
    print(f"base model:     max|diff| {diff_base:.3e}, relative {rel_base:.3e}  {'ok' if ok_base else 'FAIL'}")
    print(f"model+adapter:  max|diff| {diff_tuned:.3e}, relative {rel_tuned:.3e}  {'ok' if ok_tuned else 'FAIL'}")
    print(f"tolerance {tolerance:.0e}: {'PARITY' if ok_base and ok_tuned else 'NO PARITY'}")
    report.update(parity=ok_base and ok_tuned, relative=rel_tuned, base_relative=rel_base, adapter_effect=effect,
                  adapter_tensors=tensors)
    return ok_base and ok_tuned


def check_model(model_dir, logits_file, tolerance=TOLERANCE, report=None):
    """A model directory on its own (a full fine-tune): its logits in transformers against the worker's."""
    ids, _, ref = read_logits(logits_file, with_adapter=False)
    logits, _, _ = torch_logits(model_dir, None, ids)
    ok, diff, rel = compare(logits, ref, tolerance)
    print(f"ids {ids.shape}, vocab {ref.shape[-1]}, no adapter")
    print(f"model:          max|diff| {diff:.3e}, relative {rel:.3e}  {'ok' if ok else 'FAIL'}")
    print(f"tolerance {tolerance:.0e}: {'PARITY' if ok else 'NO PARITY'}")
    if report is not None:
        report.update(parity=ok, relative=rel)
    return ok


def self_test():
    rng = np.random.default_rng(0)
    ref = rng.normal(scale=5.0, size=(2, 12, 64)).astype(np.float32)
    scale = float(np.abs(ref).max())
    assert compare(ref, ref)[0], "identical logits must pass"
    assert compare(ref + np.float32(0.5 * TOLERANCE * scale), ref)[0], "half the tolerance must pass"
    assert not compare(ref + np.float32(2 * TOLERANCE * scale), ref)[0], "twice the tolerance must fail"
    bad = ref.copy()
    bad[1, 3, 7] += 2 * TOLERANCE * scale
    assert not compare(bad, ref)[0], "one element off must fail"
    nan = ref.copy()
    nan[0, 0, 0] = np.nan
    assert not compare(nan, ref)[0], "NaN must fail"
    try:
        compare(ref[:, :-1], ref)
        raise AssertionError("a shape mismatch must be refused")
    except ParityError:
        pass
    assert adapter_effect(ref, ref) == 0.0
    print("self-test: comparison ok")

    try:
        import peft  # noqa: F401
        import safetensors  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as e:
        print(f"self-test: round trip skipped ({e.name} is not installed)")
        return
    round_trip()
    print("self-test: round trip ok")


def round_trip():
    """A random tiny Llama and a random adapter: own logits pass, perturbed ones fail, a zero adapter is refused."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(1)
    config = LlamaConfig(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                         tie_word_embeddings=False)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir, adapter_dir, logits_file = Path(tmp, "model"), Path(tmp, "adapter"), Path(tmp, "logits.json")
        model = LlamaForCausalLM(config).eval()
        model.save_pretrained(model_dir)
        # init_lora_weights=False: B random, not zero, as after training
        lora = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
                                                init_lora_weights=False, task_type="CAUSAL_LM"))
        lora.save_pretrained(adapter_dir)
        ids = np.random.default_rng(2).integers(3, config.vocab_size, size=(2, 12))
        base, tuned, _ = torch_logits(str(model_dir), str(adapter_dir), ids)

        def write(b, t):
            logits_file.write_text(json.dumps({"format": FORMAT, "input_ids": ids.tolist(),
                                               "base_logits": b.tolist(), "logits": t.tolist()}))

        write(base, tuned)
        assert check(str(model_dir), str(adapter_dir), logits_file), "its own logits must pass"
        write(base, tuned + np.float32(10 * TOLERANCE * np.abs(tuned).max()))
        assert not check(str(model_dir), str(adapter_dir), logits_file), "perturbed logits must fail"
        write(base, base)
        try:
            check(str(model_dir), str(adapter_dir), logits_file)
            raise AssertionError("an adapter without effect must be refused")
        except ParityError:
            pass
        logits_file.write_text(json.dumps({"format": FORMAT, "input_ids": ids.tolist(), "logits": base.tolist()}))
        assert check(str(model_dir), None, logits_file), "the model's own logits must pass without an adapter"
        try:
            check(str(model_dir), str(adapter_dir), logits_file)
            raise AssertionError("logits written without an adapter must not be compared with one")
        except ParityError:
            pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="the base model directory (Hugging Face layout)")
    parser.add_argument("--adapter", help="the PEFT adapter directory a runtime wrote (none for a full model)")
    parser.add_argument("--logits", help="logits.json from worker/parity/write-logits.sh")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    parser.add_argument("--allow-no-effect", action="store_true",
                        help="compare even when the adapter does not change the logits")
    parser.add_argument("--report", help="also write the numbers as JSON to this file (parity, relative, ...)")
    parser.add_argument("--self-test", action="store_true", help="check this script and exit")
    args = parser.parse_args(argv)
    if args.self_test:
        self_test()
        return 0
    if not (args.model and args.logits):
        parser.error("--model and --logits are required (or --self-test)")
    report = {}
    try:
        ok = check(args.model, args.adapter, args.logits, args.tolerance, args.allow_no_effect, report)
        if args.report:
            Path(args.report).write_text(json.dumps(report, indent=2) + "\n")
        return 0 if ok else 1
    except ParityError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ImportError as e:
        print(f"error: {e.name} is missing: pip install torch transformers peft safetensors numpy", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
