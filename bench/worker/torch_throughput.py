"""Training-step throughput of the torch runtime, side by side with a plain transformers loop, TRL's SFTTrainer
and the djl runtime: the same model, data, sequence length, tokens per step and threads, in one script.

Run it through ``bench/worker/torch-throughput.sh`` (it makes the Python environment and the djl worker build).

Suites:

- ``cpu``: a ~27.5M-parameter Llama (8 layers, hidden 512, intermediate 1536, 8 heads of 64, the byte-level
  vocabulary of the tests' tiny models), full fine-tuning, micro-batches of 8 rows of up to 256 tokens.
- ``gpu``: a ~1.2B Llama (hidden 2048, 16 layers, 32 query / 8 KV heads, intermediate 8192, vocabulary 128,256,
  tied embeddings: Llama 3.2 1B's shape) written in bfloat16, LoRA r 16 on every linear layer, bf16, rows of 2048
  tokens. It also reports peak GPU memory and MFU: (4 N + 6 L T d) FLOPs per token (N the matmul parameters
  including the LM head, L layers, T the mean example length, d the hidden size: the forward, and the backward
  to the activations only, as LoRA needs) over the bf16 matmul rate this script measures on the same GPU.
  ``--smoke`` shrinks it to run anywhere in seconds (a check of the script, not a measurement).

Data: seeded chat examples (cpu: 40 to 250 tokens; gpu: about 200 to 1,500), one optimizer step per micro-batch,
AdamW with gradient clipping, a constant learning rate. Contenders:

- ``torch``: ``python -m tuneforge_worker train`` with the suite's spec (packing: examples end to end, none
  seeing another), ``fp32`` or ``bf16`` (autocast, the spec's ``precision``); ``-compile`` adds
  ``TUNEFORGE_COMPILE=1``, ``-rows`` ``TUNEFORGE_LAYOUT=rows`` (padded rows under a block-diagonal mask, the CPU
  layout before flat batches);
- ``plain``: ``LlamaForCausalLM`` (SDPA; with PEFT's LoRA in the gpu suite) fed the same examples rendered with the
  chat template, concatenated and cut into rows of the sequence length (``group_texts`` packing: causal attention
  across example boundaries), labels = inputs, ``torch.optim.AdamW`` (fused on CUDA), ``clip_grad_norm_``; fp32,
  or bf16 under ``torch.autocast`` (base weights in bf16 with LoRA);
- ``trl``: ``SFTTrainer`` with ``packing=True`` (best-fit packing) and ``max_length`` the sequence length;
- ``djl``: the djl runtime's worker with the same spec (fp32 only).

Each contender runs in its own process (peak resident memory from ``wait4``; peak GPU memory as it reports it)
for ``--warmup`` steps, not counted, then ``--steps`` counted ones. Tokens/s = the real (non-padding) tokens of
the counted steps over their wall time, from the step ends each contender reports as they happen. With
``--rounds`` > 1 the contenders run in turn that many times and each figure is the median, so a change in the
machine's load hits all of them alike. The ratios are printed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "worker" / "python"))
sys.path.insert(0, str(REPO / "worker" / "python" / "tests"))

LR = 1e-5
WORDS = ("order", "refund", "parcel", "delivery", "invoice", "account", "password", "shipping", "tracking",
         "warranty", "return", "label", "address", "payment", "card", "subscription", "upgrade", "support")


@dataclass(frozen=True)
class Shape:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int | None  # None: the tests' byte-level vocabulary (259)
    tied: bool = False


@dataclass(frozen=True)
class Suite:
    shape: Shape
    seq: int
    rows: int
    method: dict
    device: str
    #: words per user and assistant message, (low, high) each
    words: tuple[tuple[int, int], tuple[int, int]]
    contenders: tuple[str, ...]
    ratios: tuple[tuple[str, str], ...]
    #: extra spec hyperparameters
    extra: dict = field(default_factory=dict)


SUITES = {
    "cpu": Suite(Shape(512, 8, 8, 8, 1536, None), seq=256, rows=8, method={"type": "full"}, device="cpu",
                 words=((2, 20), (2, 14)),
                 contenders=("plain-fp32", "plain-bf16", "torch-fp32", "torch-bf16", "torch-bf16-compile",
                             "torch-fp32-rows", "torch-bf16-rows", "trl-fp32", "trl-bf16", "djl-fp32"),
                 ratios=(("torch-bf16", "plain-fp32"), ("torch-bf16", "plain-bf16"), ("torch-fp32", "plain-fp32"),
                         ("torch-bf16-compile", "plain-bf16"), ("torch-bf16", "djl-fp32"),
                         ("torch-fp32", "djl-fp32"), ("torch-fp32", "torch-fp32-rows"),
                         ("torch-bf16", "torch-bf16-rows"), ("trl-fp32", "plain-fp32"), ("trl-bf16", "plain-bf16"))),
    "gpu": Suite(Shape(2048, 16, 32, 8, 8192, 128_256, tied=True), seq=2048, rows=4,
                 method={"type": "lora", "r": 16, "alpha": 32, "dropout": 0.0, "target_modules": ["all-linear"]},
                 device="cuda", words=((20, 160), (10, 100)),
                 contenders=("plain-bf16", "torch-bf16", "torch-bf16-compile"),
                 ratios=(("torch-bf16", "plain-bf16"), ("torch-bf16-compile", "plain-bf16"))),
}
SMOKE = Shape(64, 2, 4, 2, 128, 1024, tied=True)


@dataclass(frozen=True)
class Contender:
    name: str
    runtime: str  # torch, plain, trl, djl
    precision: str  # fp32, bf16
    env: tuple[tuple[str, str], ...] = ()

    @classmethod
    def named(cls, name: str) -> Contender:
        runtime, precision, *levers = name.split("-")
        env = {"compile": ("TUNEFORGE_COMPILE", "1"), "rows": ("TUNEFORGE_LAYOUT", "rows")}
        return cls(name, runtime, precision, tuple(env[lever] for lever in levers))


# --- the inputs ----------------------------------------------------------------------------------------------


def sentence(rng: random.Random, words: tuple[int, int]) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(*words))).capitalize() + "."


def write_inputs(work: Path, suite: Suite, examples: int) -> None:
    if not (work / "base" / "config.json").is_file():
        write_base(work / "base", suite.shape)
    rng = random.Random(7)
    user, assistant = suite.words
    with open(work / "train.jsonl", "w", encoding="utf-8") as out:
        for _ in range(examples):
            messages = [{"role": "user", "content": sentence(rng, user)},
                        {"role": "assistant", "content": sentence(rng, assistant)}]
            out.write(json.dumps({"messages": messages}) + "\n")


def write_base(path: Path, shape: Shape) -> None:
    """A random Llama of ``shape`` with the tests' byte-level tokenizer (a larger vocabulary only adds rows that
    the data never uses, which cost the LM head what a real vocabulary costs)."""
    from tiny_models import write_model, write_tokenizer

    if shape.vocab is None:
        write_model(path, hidden=shape.hidden, layers=shape.layers, heads=shape.heads, kv_heads=shape.kv_heads,
                    intermediate=shape.intermediate, max_positions=4096, tied=shape.tied, seed=0)
        return
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    write_tokenizer(path)
    config = LlamaConfig(vocab_size=shape.vocab, hidden_size=shape.hidden, intermediate_size=shape.intermediate,
                         num_hidden_layers=shape.layers, num_attention_heads=shape.heads,
                         num_key_value_heads=shape.kv_heads, max_position_embeddings=4096,
                         tie_word_embeddings=shape.tied, eos_token_id=2, pad_token_id=0, bos_token_id=None)
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(str(path), safe_serialization=True)


def spec(work: Path, suite: Suite, precision: str, steps: int) -> Path:
    path = work / f"spec-{precision}.json"
    path.write_text(json.dumps({
        "base_model": "base", "data": {"train": "train.jsonl"}, "method": suite.method,
        "hyperparameters": {"max_steps": steps, "batch_size": suite.rows, "max_seq_length": suite.seq,
                            "packing": True, "learning_rate": LR, "lr_scheduler": "constant", "warmup_ratio": 0.0,
                            "weight_decay": 0.0, "max_grad_norm": 1.0, "seed": 1, **suite.extra},
        "device": suite.device, "precision": precision, "save_steps": None, "output_dir": f"out-{precision}"}))
    return path


def planned_tokens(work: Path, suite: Suite, steps: int) -> tuple[list[int], float]:
    """Real tokens of each step of the runtimes' plan (the torch and djl runtimes lay out the same plan), and the
    mean example length."""
    from tuneforge_worker.data import Encoder, read_examples
    from tuneforge_worker.model import load_tokenizer
    from tuneforge_worker.plan import build
    from tuneforge_worker.spec import read_train_spec

    train_spec = read_train_spec(spec(work, suite, "fp32", steps), work)
    encoder = Encoder(load_tokenizer(work / "base"), suite.seq)
    examples = [encoder.encode(e) for e in read_examples(work / "train.jsonl", "chat")]
    plan = build(examples, train_spec.hyperparameters)
    tokens = [sum(len(examples[i]) for row in step.rows for i in row.examples) for step in plan.steps]
    return tokens, statistics.mean(len(e) for e in examples)


# --- running one contender -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    tokens_per_second: float
    peak_rss_mib: float
    peak_gpu_mib: float | None
    first_step_seconds: float


def thread_env(threads: int, extra=()) -> dict[str, str]:
    return dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), MKL_DYNAMIC="FALSE",
                OMP_DYNAMIC="FALSE", PYTHONUNBUFFERED="1", TOKENIZERS_PARALLELISM="false", **dict(extra))


def parse(line: str) -> dict:
    """An event line; anything else a contender prints (TRL prints its metrics as a Python dict) as empty."""
    try:
        event = json.loads(line)
    except ValueError:
        return {}
    return event if isinstance(event, dict) else {}


def run(contender: Contender, suite_name: str, work: Path, args, tokens: list[int]) -> Result:
    suite = SUITES[suite_name]
    steps = args.warmup + args.steps
    if contender.runtime == "torch":
        train_spec = spec(work, suite, contender.precision, steps)
        command = [sys.executable, "-m", "tuneforge_worker", "train", "--spec", str(train_spec), "--workdir", str(work)]
    elif contender.runtime == "djl":
        command = [args.java, "--enable-native-access=ALL-UNNAMED", "-Xmx4g", "-Dai.djl.offline=true",
                   "-Dai.djl.default_engine=PyTorch", "-cp", args.djl_classpath, "dev.tuneforge.worker.Main",
                   "train", "--spec", str(spec(work, suite, "fp32", steps)), "--workdir", str(work)]
    else:
        command = [sys.executable, __file__, "--child", contender.runtime, "--precision", contender.precision,
                   "--suite", suite_name, "--work", str(work), "--threads", str(args.threads),
                   "--warmup", str(args.warmup), "--steps", str(args.steps), *(["--smoke"] if args.smoke else [])]
    started = time.perf_counter()
    with open(work / f"{contender.name}.log", "w") as log:
        proc = subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE, stderr=log, text=True,
                                env=thread_env(args.threads, contender.env))
        ends: list[float] = []  # when each step's end was reported
        step_tokens: list[int] = []
        peak_gpu = None
        for line in proc.stdout:
            event = parse(line)
            if event.get("event") == "progress":
                ends.append(time.perf_counter())
                step_tokens.append(event.get("tokens", tokens[len(ends) - 1] if len(ends) <= len(tokens) else 0))
            elif event.get("event") == "finished":
                peak_gpu = event.get("metrics", {}).get("peak_cuda_memory_bytes", peak_gpu)
        _, status, usage = os.wait4(proc.pid, 0)
    if status != 0 or len(ends) < steps:
        raise SystemExit(f"{contender.name} failed (status {status}, {len(ends)} steps): {work}/{contender.name}.log")
    counted = sum(step_tokens[args.warmup:steps])
    return Result(counted / (ends[steps - 1] - ends[args.warmup - 1]), usage.ru_maxrss / 1024,
                  peak_gpu / 2**20 if peak_gpu else None, ends[0] - started)


# --- the plain loop and TRL (run as --child) -----------------------------------------------------------------


def rendered(work: Path, tokenizer) -> list[list[int]]:
    out = []
    with open(work / "train.jsonl", encoding="utf-8") as lines:
        for line in lines:
            text = tokenizer.apply_chat_template(json.loads(line)["messages"], tokenize=False)
            out.append(tokenizer(text, add_special_tokens=False)["input_ids"])
    return out


def report(event: str, **fields) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def plain_loop(work: Path, suite: Suite, precision: str, steps: int) -> None:
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    device = torch.device(suite.device)
    tokenizer = AutoTokenizer.from_pretrained(str(work / "base"))
    stream = [t for ids in rendered(work, tokenizer) for t in ids]
    rows = torch.tensor(stream[:len(stream) // suite.seq * suite.seq]).view(-1, suite.seq)
    lora = suite.method["type"] == "lora"
    model = LlamaForCausalLM.from_pretrained(str(work / "base"), attn_implementation="sdpa",
                                             dtype=torch.bfloat16 if lora and precision == "bf16" else torch.float32)
    if lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=suite.method["r"], lora_alpha=suite.method["alpha"],
                                                 target_modules="all-linear", lora_dropout=0.0, bias="none",
                                                 task_type="CAUSAL_LM"))
    model.to(device).train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=LR, weight_decay=0.0, fused=device.type == "cuda")
    for step in range(steps):
        start = step * suite.rows % (len(rows) - suite.rows)
        batch = rows[start:start + suite.rows].to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize()
        report("progress", tokens=batch.numel())
    if device.type == "cuda":
        report("finished", metrics={"peak_cuda_memory_bytes": torch.cuda.max_memory_allocated()})


def trl_loop(work: Path, suite: Suite, precision: str, steps: int) -> None:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    class Steps(TrainerCallback):
        seen = 0

        def on_step_end(self, args, state, control, **kwargs):
            report("progress", tokens=state.num_input_tokens_seen - self.seen)
            self.seen = state.num_input_tokens_seen

    rows = [json.loads(line) for line in open(work / "train.jsonl", encoding="utf-8")]
    config = SFTConfig(output_dir=str(work / "trl-out"), max_steps=steps, per_device_train_batch_size=suite.rows,
                       max_length=suite.seq, packing=True, learning_rate=LR, lr_scheduler_type="constant",
                       weight_decay=0.0, max_grad_norm=1.0, bf16=precision == "bf16", use_cpu=suite.device == "cpu",
                       save_strategy="no", report_to=[], logging_steps=1000, dataloader_num_workers=0,
                       include_num_input_tokens_seen="non_padding", disable_tqdm=True, seed=1)
    tokenizer = AutoTokenizer.from_pretrained(str(work / "base"))
    model = AutoModelForCausalLM.from_pretrained(str(work / "base"), attn_implementation="sdpa")
    SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
               callbacks=[Steps()]).train()


# --- FLOPs (gpu suite) ---------------------------------------------------------------------------------------


def matmul_rate(device: str) -> float:
    """bf16 FLOP/s of large square matmuls on ``device``, best of several runs."""
    import torch

    n = 8192 if device == "cuda" else 512
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    best = 0.0
    for _ in range(5):
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(10):
            a @ b
        if device == "cuda":
            torch.cuda.synchronize()
        best = max(best, 10 * 2 * n ** 3 / (time.perf_counter() - start))
    return best


def lora_flops_per_token(shape: Shape, mean_length: float) -> float:
    vocab = shape.vocab or 259
    head_dim = shape.hidden // shape.heads
    per_layer = (shape.hidden * shape.heads * head_dim * 2 + shape.hidden * shape.kv_heads * head_dim * 2
                 + 3 * shape.hidden * shape.intermediate)
    matmul_params = shape.layers * per_layer + shape.hidden * vocab
    return 4 * matmul_params + 6 * shape.layers * mean_length * shape.hidden


# --- main ----------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=sorted(SUITES), default="cpu")
    parser.add_argument("--smoke", action="store_true", help="gpu suite only: a tiny model on any device")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--only", help="comma-separated contenders (default: the suite's)")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--java", default="java")
    parser.add_argument("--djl-classpath", default="")
    parser.add_argument("--child", choices=["plain", "trl"])
    parser.add_argument("--precision", default="fp32")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    if args.smoke:
        gpu = SUITES["gpu"]
        SUITES[args.suite] = Suite(SMOKE, seq=128, rows=2, method=gpu.method,
                                   device="cuda" if torch.cuda.is_available() else "cpu", words=((5, 30), (3, 10)),
                                   contenders=gpu.contenders, ratios=gpu.ratios)
    suite = SUITES[args.suite]
    if args.child:
        loop = plain_loop if args.child == "plain" else trl_loop
        loop(args.work, suite, args.precision, args.warmup + args.steps)
        return

    work = args.work or REPO / "bench" / "worker" / "target" / f"torch-{args.suite}{'-smoke' if args.smoke else ''}"
    work.mkdir(parents=True, exist_ok=True)
    write_inputs(work, suite, args.examples)
    tokens, mean_length = planned_tokens(work, suite, args.warmup + args.steps)
    chosen = [Contender.named(name) for name in (args.only.split(",") if args.only else suite.contenders)]
    device = torch.cuda.get_device_name() if suite.device == "cuda" else cpu_name()
    print(f"suite {args.suite}{' (smoke)' if args.smoke else ''}: torch {torch.__version__}, {device}, "
          f"{args.threads} thread(s), {args.warmup} + {args.steps} steps of {suite.rows} x {suite.seq} tokens "
          f"(mean example {mean_length:.0f} tokens), {args.rounds} round(s)", flush=True)
    results: dict[str, list[Result]] = {c.name: [] for c in chosen}
    for round_ in range(args.rounds):
        for contender in chosen:
            result = run(contender, args.suite, work, args, tokens)
            results[contender.name].append(result)
            gpu_memory = f"  peak GPU {result.peak_gpu_mib:7.0f} MiB" if result.peak_gpu_mib else ""
            print(f"  round {round_ + 1} {contender.name:20s} {result.tokens_per_second:9.1f} tokens/s  "
                  f"peak RSS {result.peak_rss_mib:7.0f} MiB{gpu_memory}  first step after "
                  f"{result.first_step_seconds:5.1f} s", flush=True)
    median = {name: statistics.median(r.tokens_per_second for r in rs) for name, rs in results.items()}
    flops = rate = None
    if suite.method["type"] == "lora":
        flops, rate = lora_flops_per_token(suite.shape, mean_length), matmul_rate(suite.device)
        print(f"\nbf16 matmul rate measured here: {rate / 1e12:.1f} TFLOP/s; model FLOPs per token {flops / 1e9:.2f} G")
    print("\n| contender | tokens/s (median) | peak RSS (MiB) | peak GPU memory (MiB) | MFU |\n|---|---|---|---|---|")
    for name, rs in results.items():
        gpu_memory = max((r.peak_gpu_mib for r in rs if r.peak_gpu_mib), default=None)
        mfu = f"{median[name] * flops / rate:.1%}" if flops else "—"
        print(f"| {name} | {median[name]:.0f} | {max(r.peak_rss_mib for r in rs):.0f} | "
              f"{f'{gpu_memory:.0f}' if gpu_memory else '—'} | {mfu} |")
    print()
    for a, b in suite.ratios:
        if a in median and b in median:
            print(f"ratio {a} / {b} = {median[a] / median[b]:.2f}")


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    main()
