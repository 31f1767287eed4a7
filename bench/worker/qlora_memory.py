"""QLoRA vs bf16 LoRA: the memory of the same random Llama with the same LoRA adapter, its base in bf16 or in NF4.

Issue #20's goal is QLoRA's peak GPU memory <= 0.45x bf16 LoRA's on the same model. Both contenders are built as
the torch runtime builds them (``tuneforge_worker.nf4.quantize_projections`` on the decoder projections, quantised
on the CPU and then moved, as ``model.load_nf4_base`` does; ``model.attach_lora``), then train ``--steps`` AdamW
steps on random tokens under bf16 autocast. Printed per contender:

- weight bytes: every parameter and buffer of the model with its adapter (any device; on the CPU this is the
  figure that can be compared, activations being host memory the allocator does not report);
- on CUDA, peak allocated memory over the training steps (``torch.cuda.max_memory_allocated``, reset after the
  model is on the device) and tokens/s of the steps after the first.

Usage (the torch runtime's environment)::

    worker/python/.venv/bin/python bench/worker/qlora_memory.py --device cpu --steps 0 \
        --hidden 2048 --intermediate 5632 --layers 22 --heads 32 --kv-heads 4    # TinyLlama-1.1B's shape
    worker/python/.venv/bin/python bench/worker/qlora_memory.py --device cuda --hidden 2048 --layers 16 --steps 10
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "worker" / "python"))

from tuneforge_worker.model import PROJECTIONS, attach_lora
from tuneforge_worker.nf4 import quantize_projections
from tuneforge_worker.spec import Lora


def build(args, nf4: bool, device: torch.device):
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=args.vocab, hidden_size=args.hidden, intermediate_size=args.intermediate,
                         num_hidden_layers=args.layers, num_attention_heads=args.heads,
                         num_key_value_heads=args.kv_heads, max_position_embeddings=args.seq, tie_word_embeddings=False)
    torch.manual_seed(0)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)  # built in bf16: no float32 copy of a large model on the way
    try:
        model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(default)
    if nf4:
        quantize_projections(model.model.layers, PROJECTIONS, args.double_quant, torch.bfloat16)
    model = model.to(device)
    return attach_lora(model, Lora(r=args.r, dropout=0.0, target_modules=("all-linear",)), seed=0)


def weight_bytes(model) -> int:
    return sum(t.numel() * t.element_size() for t in list(model.parameters()) + list(model.buffers()))


def measure(args, nf4: bool, device: torch.device) -> dict:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    model = build(args, nf4, device)
    result = {"weight_bytes": weight_bytes(model)}
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    ids = torch.randint(0, args.vocab, (args.batch, args.seq), device=device)
    timed = 0.0
    for step in range(args.steps):
        t0 = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if step > 0:
            timed += time.perf_counter() - t0
    if device.type == "cuda":
        result["peak_allocated_bytes"] = torch.cuda.max_memory_allocated(device)
    if args.steps > 1:
        result["tokens_per_second"] = round(args.batch * args.seq * (args.steps - 1) / timed, 1)
    del model, optimizer
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--hidden", type=int, default=1024)
    p.add_argument("--intermediate", type=int, default=None, help="default 2.6875 x hidden (Llama's ratio)")
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--heads", type=int, default=16)
    p.add_argument("--kv-heads", type=int, default=16)
    p.add_argument("--vocab", type=int, default=32000)
    p.add_argument("--r", type=int, default=16)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq", type=int, default=512)
    p.add_argument("--steps", type=int, default=5, help="0: weight bytes only")
    p.add_argument("--no-double-quant", dest="double_quant", action="store_false")
    args = p.parse_args()
    if args.intermediate is None:
        args.intermediate = int(args.hidden * 2.6875)
    device = torch.device(args.device)

    lora = measure(args, False, device)
    qlora = measure(args, True, device)
    print(f"device {device}, Llama hidden {args.hidden} x {args.layers} layers, intermediate {args.intermediate}, "
          f"vocab {args.vocab}, LoRA r {args.r} all-linear, batch {args.batch} x {args.seq}, {args.steps} steps, "
          f"double_quant {args.double_quant}")
    for name, r in (("bf16 LoRA", lora), ("QLoRA (NF4)", qlora)):
        print(f"{name:12} " + ", ".join(f"{k} {v}" for k, v in r.items()))
    print(f"weight bytes ratio QLoRA / bf16 LoRA: {qlora['weight_bytes'] / lora['weight_bytes']:.3f}")
    if "peak_allocated_bytes" in lora:
        print(f"peak allocated ratio QLoRA / bf16 LoRA: "
              f"{qlora['peak_allocated_bytes'] / lora['peak_allocated_bytes']:.3f} (goal <= 0.45)")
    else:
        print("peak GPU memory: not measured (no CUDA device)")


if __name__ == "__main__":
    main()
