#!/usr/bin/env python3
"""Prompt tuning in PEFT itself, for the conformance suite: writes a PROMPT_TUNING adapter with PEFT, and checks that
transformers + PEFT compute, for an adapter, the logits the djl runtime computed (worker/parity/write-logits.sh's
logits.json), by worker/parity/peft_parity.py's criterion (max |PEFT - worker| <= 1e-4 * max |worker|, float32).

    python peft_prompt_tuning.py write --model MODEL_DIR --out ADAPTER_DIR [--virtual-tokens N] [--seed S]
                                       [--init-text TEXT]
    python peft_prompt_tuning.py check --model MODEL_DIR --adapter ADAPTER_DIR --logits logits.json --report r.json

PEFT's forward puts the virtual tokens before the input, so its logits are [B, n + T, V]; the worker returns the real
tokens' [B, T, V], which are compared with PEFT's last T columns. The check also requires that PEFT loaded the stored
prompt_embeddings as they are, and that the prompt moves the logits well beyond the tolerance.

Exit status: 0 parity holds (or the adapter was written), 1 it does not, 2 bad input or a vacuous comparison.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def parity_module(repo):
    sys.path.insert(0, str(Path(repo) / "worker" / "parity"))
    import peft_parity

    return peft_parity


def load_model(model_dir):
    import torch
    from transformers import LlamaForCausalLM

    model = LlamaForCausalLM.from_pretrained(model_dir, attn_implementation="eager", dtype=torch.float32)
    return model.to(torch.float32).eval()


def write(args):
    import torch
    from peft import PromptTuningConfig, PromptTuningInit, TaskType, get_peft_model

    torch.manual_seed(args.seed)
    if args.init_text is None:
        config = PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=args.virtual_tokens,
                                    prompt_tuning_init=PromptTuningInit.RANDOM)
    else:
        config = PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=args.virtual_tokens,
                                    prompt_tuning_init=PromptTuningInit.TEXT, prompt_tuning_init_text=args.init_text,
                                    tokenizer_name_or_path=args.model)
    peft_model = get_peft_model(load_model(args.model), config)
    peft_model.save_pretrained(args.out)
    print(f"wrote a PROMPT_TUNING adapter of {args.virtual_tokens} virtual tokens to {args.out}")
    return 0


def check(args):
    import torch
    from peft import PeftModel
    from safetensors.numpy import load_file

    parity = parity_module(args.repo)
    try:
        ids, ref_base, ref_tuned = parity.read_logits(args.logits)
        effect = parity.adapter_effect(ref_base, ref_tuned)
        if effect < parity.MIN_EFFECT * parity.TOLERANCE:
            raise parity.ParityError(f"the prompt changes the worker's logits by only {effect:.2e} relative")
        model = load_model(args.model)
        input_ids = torch.from_numpy(ids)
        with torch.no_grad():
            base = model(input_ids=input_ids).logits.float().numpy()
            peft_model = PeftModel.from_pretrained(model, args.adapter).eval()
            n = peft_model.active_peft_config.num_virtual_tokens
            full = peft_model(input_ids=input_ids).logits.float().numpy()
        if full.shape[1] != n + ids.shape[1]:
            raise parity.ParityError(f"PEFT's logits have {full.shape[1]} positions, expected {n} + {ids.shape[1]}")
        stored = load_file(str(Path(args.adapter) / "adapter_model.safetensors"))
        loaded = peft_model.get_prompt_embedding_to_save("default").float().numpy()
        if set(stored) != {"prompt_embeddings"} or not np.array_equal(stored["prompt_embeddings"], loaded):
            raise parity.ParityError(f"PEFT did not load the stored prompt_embeddings as they are: {sorted(stored)}")
    except parity.ParityError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    tuned = full[:, n:, :]
    ok_base, diff_base, rel_base = parity.compare(base, ref_base)
    ok_tuned, diff_tuned, rel_tuned = parity.compare(tuned, ref_tuned)
    print(f"ids {ids.shape}, {n} virtual tokens, prompt effect {effect:.3e} relative")
    print(f"base model:     max|diff| {diff_base:.3e}, relative {rel_base:.3e}  {'ok' if ok_base else 'FAIL'}")
    print(f"model+prompt:   max|diff| {diff_tuned:.3e}, relative {rel_tuned:.3e}  {'ok' if ok_tuned else 'FAIL'}")
    Path(args.report).write_text(json.dumps({"parity": ok_base and ok_tuned, "relative": rel_tuned,
                                             "base_relative": rel_base, "adapter_effect": effect,
                                             "virtual_tokens": n}))
    return 0 if ok_base and ok_tuned else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    w = commands.add_parser("write", help="write a PROMPT_TUNING adapter with PEFT, as initialised")
    w.add_argument("--model", required=True)
    w.add_argument("--out", required=True)
    w.add_argument("--virtual-tokens", type=int, default=5)
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--init-text", help="start from this text's embeddings (PEFT's TEXT init) instead of at random")
    c = commands.add_parser("check", help="compare PEFT's logits with the worker's logits.json")
    c.add_argument("--model", required=True)
    c.add_argument("--adapter", required=True)
    c.add_argument("--logits", required=True)
    c.add_argument("--report", required=True)
    c.add_argument("--repo", required=True, help="the repository root, for worker/parity/peft_parity.py")
    args = parser.parse_args(argv)
    return write(args) if args.command == "write" else check(args)


if __name__ == "__main__":
    sys.exit(main())
