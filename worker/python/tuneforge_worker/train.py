"""``train``: fine-tune a Llama-family model with LoRA or fully, as docs/WORKER_PROTOCOL.md specifies (DPO and
prompt or prefix tuning subclass the trainer: ``dpo``, ``prompt_learning``).

Read top to bottom: the data is encoded and the plan of every step built (``plan``); a checkpoint to resume
from is checked against it; the model is loaded, the method's trainable weights chosen (``weights``) and the
model wrapped for several processes (``distributed``); then each optimizer step runs its micro-batches —
forward through ``loss.TokenLoss`` (packed rows with block-diagonal attention, ``packing``), backward of the
summed token loss over the step's target count — clips the gradients, sets the scheduled learning rate
(``schedule``) and takes an AdamW step. Between steps it validates, keeps the best weights as the output,
checkpoints (``checkpoint``) and honours a stop request.

Precision: ``fp32`` trains in float32. ``bf16`` keeps float32 master weights and optimizer state and runs the
forward and backward under ``torch.autocast`` to bfloat16 (CUDA with bf16 support, or the CPU, where AVX512-BF16
or AMX make it fast); LoRA's frozen base is then held in bfloat16 itself (``_base_dtype``). ``fp16`` does the
same on CUDA with a ``GradScaler`` (its state is checkpointed); on the CPU it is refused with ``bad_spec`` (use
bf16 there).

Batch layout: on the CPU each micro-batch is *flat* (its examples end to end in one row, no padding) and
attention runs example by example (``attention``); on CUDA micro-batches are padded rows of packed examples
under a block-diagonal mask (``packing``). Both give every example exactly the loss it gets alone.

Speed levers the benchmark switches on through the environment (the spec has no field for them):
``TUNEFORGE_COMPILE=1`` compiles the loss module with ``torch.compile``; ``TUNEFORGE_ADAMW`` picks AdamW's
implementation (``fused``, ``foreach``, ``loop``; default fused on CUDA, PyTorch's choice on the CPU);
``TUNEFORGE_LAYOUT`` the batch layout (``flat``, ``rows``; default as above).
"""

from __future__ import annotations

import logging
import math
import os
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import RUNTIME, checkpoint
from .attention import use_segment_attention
from .checkpoint import CheckpointState
from .data import Encoded, Encoder, read_examples
from .distributed import Distributed
from .errors import ExitCode, WorkerFailure
from .events import EventSink
from .java_random import java_long, long_hash
from .loss import TokenLoss
from .model import attach_lora, check_model_dir, load_model, load_nf4_base, load_tokenizer
from .packing import Batch, attention_mask_for, make_batch
from .plan import Row, Step, TrainingPlan, build
from .schedule import LrSchedule
from .spec import Dpo, Full, Lora, PrefixTuning, PromptTuning, Qlora, TrainSpec
from .stop import StopSignal
from .weights import FullWeights, LoraWeights, TrainedWeights

log = logging.getLogger(__name__)

BETAS = (0.9, 0.999)
EPS = 1e-8


@dataclass(frozen=True)
class Levers:
    """Speed options outside the spec (see the module comment)."""

    compile: bool = False
    adamw: str = "auto"  # auto, fused, foreach, loop
    layout: str = "auto"  # auto, flat, rows

    @classmethod
    def from_env(cls) -> Levers:
        adamw = os.environ.get("TUNEFORGE_ADAMW", "auto")
        if adamw not in ("auto", "fused", "foreach", "loop"):
            raise WorkerFailure.bad_spec(f"TUNEFORGE_ADAMW: must be auto, fused, foreach or loop, got {adamw!r}")
        layout = os.environ.get("TUNEFORGE_LAYOUT", "auto")
        if layout not in ("auto", "flat", "rows"):
            raise WorkerFailure.bad_spec(f"TUNEFORGE_LAYOUT: must be auto, flat or rows, got {layout!r}")
        return cls(compile=os.environ.get("TUNEFORGE_COMPILE", "0") == "1", adamw=adamw, layout=layout)

    def flat_batches(self, device: torch.device) -> bool:
        return self.layout == "flat" or (self.layout == "auto" and device.type != "cuda")


@dataclass(frozen=True)
class StepResult:
    loss: float
    learning_rate: float
    grad_norm: float
    tokens: int
    #: what a method reports besides (DPO: reward_accuracy, reward_margin), in the progress event and the log
    extra: dict = field(default_factory=dict)


def train(spec: TrainSpec, events: EventSink, stop: StopSignal) -> int:
    """Runs to the end (0) or until stopped (143); failures are raised as ``WorkerFailure``."""
    trainer = Trainer
    if isinstance(spec.method, Dpo):
        from .dpo import DpoTrainer

        trainer = DpoTrainer
    elif isinstance(spec.method, (PromptTuning, PrefixTuning)):
        from .prompt_learning import PromptLearningTrainer

        trainer = PromptLearningTrainer
    runtime = Distributed.start(spec.device)
    if isinstance(spec.method, Qlora) and runtime.world_size > 1:
        raise WorkerFailure.bad_spec(f"method.type: qlora runs in one process, not under torchrun "
                                     f"(world size {runtime.world_size})")
    finished = False
    try:
        code = trainer(spec, events, stop, runtime).run()
        finished = True
        return code
    finally:
        if finished:
            runtime.close()


class Trainer:
    def __init__(self, spec: TrainSpec, events: EventSink, stop: StopSignal, runtime: Distributed):
        self.spec = spec
        self.hp = spec.hyperparameters
        self.events = events
        self.stop = stop
        self.runtime = runtime
        self.device = runtime.device
        self.levers = Levers.from_env()
        self.amp_dtype = autocast_dtype(spec.precision, self.device)
        self.flat = self.levers.flat_batches(self.device)

    # --- setting up --------------------------------------------------------------------------------------

    def run(self) -> int:
        spec, hp = self.spec, self.hp
        self.config = check_model_dir(spec.base_model)
        tokenizer = load_tokenizer(spec.base_model)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.plan: TrainingPlan = self._read_data(Encoder(tokenizer, hp.max_seq_length))
        total = len(self.plan)
        self.schedule = LrSchedule(hp.lr_scheduler, hp.learning_rate, hp.warmup_for(total), total)

        resume_dir = self._resume_dir()
        state = self._check_resumable(resume_dir) if resume_dir is not None else None

        model = self._prepared_base(self._load_base())
        self.weights = self._method_weights(model)
        if state is not None:
            self.weights.restore(resume_dir)
        if self.flat:
            use_segment_attention(self.weights.causal_lm)
        if hp.gradient_checkpointing:
            self.weights.causal_lm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        self.trainable_count = sum(p.numel() for _, p in self.weights.trainable())

        self.module = self.runtime.wrap(self._objective(), self.weights.causal_lm.model.layers,
                                        shard=isinstance(spec.method, Full))
        if self.levers.compile:
            self.module = torch.compile(self.module, dynamic=True)
        # After wrapping: FSDP2 replaces the parameters with sharded ones.
        self.trainable = self.weights.trainable()
        self.optimizer = self._optimizer()
        self.scaler = torch.amp.GradScaler("cuda") if self.amp_dtype == torch.float16 else None

        self.step = 0
        self.best_step = -1
        self.best_loss: float | None = None
        self.evals_without_improvement = 0
        self.last_eval_step = -1
        self.log_history: list[dict] = []
        self.last_checkpoint: Path | None = None
        if state is not None:
            self._resume(resume_dir, state)
        return self._loop(resumed_from=self.step)

    def _read_data(self, encoder: Encoder) -> TrainingPlan:
        """Sets ``train_set`` and ``validation`` (empty without validation data); the plan of every step."""
        data = self.spec.data
        self.train_set = [encoder.encode(e) for e in read_examples(data.train, data.format)]
        self.validation = ([encoder.encode(e) for e in read_examples(data.validation, data.format)]
                           if data.validation is not None else [])
        return build(self.train_set, self.hp)

    def _load_base(self):
        if isinstance(self.spec.method, Qlora):
            return load_nf4_base(self.spec.base_model, self.device, self._base_dtype(), self.spec.method.double_quant)
        return load_model(self.spec.base_model, self.device, self._load_dtype())

    def _load_dtype(self) -> torch.dtype:
        return self._base_dtype()

    def _prepared_base(self, model):
        """The loaded base model, before the method's weights are attached (DPO computes its reference here)."""
        return model

    def _objective(self) -> torch.nn.Module:
        """The module the processes share: its forward is one micro-batch's computation."""
        return TokenLoss(self.weights.causal_lm)

    def _base_dtype(self) -> torch.dtype:
        """float32, except for LoRA under autocast: a frozen base needs no float32 master copy, so it is held in the
        autocast dtype its matmuls read anyway (half the memory, no cast of every weight in every step). PEFT keeps
        the adapter's weights, the trained ones, in float32."""
        if self.amp_dtype is not None and isinstance(self.spec.method, Lora):
            return self.amp_dtype
        return torch.float32

    def _method_weights(self, model) -> TrainedWeights:
        method = self.spec.method
        if isinstance(method, Lora):
            return LoraWeights(attach_lora(model, method, self.hp.seed))
        return FullWeights(model, self.spec.base_model)

    def _optimizer(self) -> torch.optim.Optimizer:
        # Weight decay on matrices only, not on norm weights or biases, as transformers does.
        decay = [p for _, p in self.trainable if p.ndim >= 2]
        no_decay = [p for _, p in self.trainable if p.ndim < 2]
        groups = [{"params": decay, "weight_decay": self.hp.weight_decay}]
        if no_decay:
            groups.append({"params": no_decay, "weight_decay": 0.0})
        kind = self.levers.adamw
        if kind == "auto":
            kind = "fused" if self.device.type == "cuda" else "default"
        options = {"fused": {"fused": True}, "foreach": {"foreach": True}, "loop": {"foreach": False},
                   "default": {}}[kind]
        return torch.optim.AdamW(groups, lr=self.hp.learning_rate, betas=BETAS, eps=EPS, **options)

    # --- resuming ----------------------------------------------------------------------------------------

    def _resume_dir(self) -> Path | None:
        if self.spec.resume_latest:
            return checkpoint.latest(self.spec.output_dir)
        return self.spec.resume_from

    def _check_resumable(self, directory: Path) -> CheckpointState:
        if not (directory / checkpoint.STATE_FILE).is_file():
            raise WorkerFailure.bad_spec(f"resume_from: {directory} is not a checkpoint directory "
                                         f"(no {checkpoint.STATE_FILE})")
        state = CheckpointState.read(directory)
        if state.plan_fingerprint != self.plan.fingerprint:
            raise WorkerFailure.bad_spec(f"resume_from: {directory} was written for other data or batching "
                                         "(data files, batch_size, gradient_accumulation_steps, packing, "
                                         "max_seq_length or seed differ)")
        if state.method and state.method != method_summary(self.spec.method):
            raise WorkerFailure.bad_spec(f"resume_from: {directory} was written by another method "
                                         f"({state.method}, this run: {method_summary(self.spec.method)})")
        return state

    def _resume(self, directory: Path, state: CheckpointState) -> None:
        self._restore_optimizer(directory, state)
        if self.scaler is not None and state.grad_scaler:
            self.scaler.load_state_dict(state.grad_scaler)
        self.step = state.global_step
        self.best_step = state.best_step
        self.best_loss = state.best_valid_loss
        self.evals_without_improvement = state.evals_without_improvement
        self.last_eval_step = state.last_eval_step
        self.log_history = list(state.log_history)
        self.last_checkpoint = directory
        if self.runtime.main:
            checkpoint.restore_output(directory, state, self._output_dir())
        rank = self.runtime.rank
        if rank < len(state.host_rng):
            checkpoint.set_host_rng_state(state.host_rng[rank])
        torch_rng = checkpoint.read_torch_rng(directory, rank)
        if torch_rng is not None:
            checkpoint.set_torch_rng_state(torch_rng)
        log.info("resuming from %s at step %d", directory, self.step)

    def _restore_optimizer(self, directory: Path, state: CheckpointState) -> None:
        exp_avg, exp_avg_sq = checkpoint.read_moments(directory)
        index = {id(p): name for name, p in self.trainable}
        params = [p for group in self.optimizer.param_groups for p in group["params"]]
        restored = {}
        for i, p in enumerate(params):
            name = index[id(p)]
            if name not in exp_avg or name not in exp_avg_sq:
                raise WorkerFailure.bad_spec(f"resume_from: {directory / checkpoint.OPTIMIZER_FILE} has no "
                                             f"moments for {name}")
            restored[i] = {"step": torch.tensor(float(state.optimizer_step), dtype=torch.float32),
                           "exp_avg": _like(exp_avg[name], p), "exp_avg_sq": _like(exp_avg_sq[name], p)}
        current = self.optimizer.state_dict()
        self.optimizer.load_state_dict({"state": restored, "param_groups": current["param_groups"]})

    # --- the loop ----------------------------------------------------------------------------------------

    def _loop(self, resumed_from: int) -> int:
        total = len(self.plan)
        self.events.emit("started", command="train", runtime=RUNTIME, device=str(self.device), total_steps=total,
                         train_examples=len(self.train_set),
                         validation_examples=len(self.validation) if self.validation else None,
                         trainable_parameters=self.trainable_count, resumed_from_step=resumed_from,
                         world_size=self.runtime.world_size)
        started_at = time.perf_counter()
        steps_this_session = 0
        early = False
        while self.step < total:
            if self.runtime.any(self.stop.requested):
                return self._stopped()
            planned = self.plan.steps[self.step]
            t0 = time.perf_counter()
            with memory_named(f"in step {self.step + 1}", self.device):
                result = self._train_step(planned)
            self.step += 1
            steps_this_session += 1
            now = time.perf_counter()
            per_step = (now - started_at) / steps_this_session
            self.events.emit("progress", step=self.step, total_steps=total, epoch=planned.epoch_progress,
                             train_loss=result.loss, learning_rate=result.learning_rate,
                             grad_norm=result.grad_norm,
                             tokens_per_second=round(result.tokens / max(now - t0, 1e-9), 1),
                             eta_seconds=round(per_step * (total - self.step), 1), **result.extra)
            self.log_history.append({"step": self.step, "epoch": planned.epoch_progress, "loss": result.loss,
                                     "learning_rate": result.learning_rate, "grad_norm": result.grad_norm,
                                     **result.extra})
            if self.validation and self.spec.eval_steps and self.step % self.spec.eval_steps == 0:
                with memory_named(f"validating at step {self.step}", self.device):
                    early = self._validate()
            if self.spec.save_steps and self.step % self.spec.save_steps == 0:
                self._checkpoint()
            if early:
                break
        if self.validation and self.last_eval_step != self.step:
            with memory_named(f"validating at step {self.step}", self.device):
                self._validate()
        if not self.validation:
            self._write_output()
            self.best_step = self.step
        return self._finished(early)

    def _train_step(self, planned: Step) -> StepResult:
        hp = self.hp
        targets = sum(self.train_set[i].target_count for row in planned.rows for i in row.examples)
        tokens = sum(len(self.train_set[i]) for row in planned.rows for i in row.examples)
        denominator = max(1, targets)
        world = self.runtime.world_size
        micro_batches = self._micro_batches(planned)
        nll_sum = torch.zeros((), dtype=torch.float64, device=self.device)
        self.module.train()
        for i, rows in enumerate(micro_batches):
            # Dropout draws from torch's generator, reseeded per micro-batch from (seed, step, micro-batch) as the
            # djl runtime does, so that a resumed run draws what the uninterrupted one did.
            torch.manual_seed(dropout_seed(hp.seed, self.step, i, self.runtime.rank))
            batch = self._batch(rows, self.train_set)
            last = i == len(micro_batches) - 1
            with self._no_sync(not last), self._autocast():
                nll, _ = self._forward(batch)
            # the gradient of the summed loss over the step's targets; DDP and FSDP2 average over ranks,
            # hence the world-size factor
            loss = nll / denominator if world == 1 else nll * (world / denominator)
            (self.scaler.scale(loss) if self.scaler is not None else loss).backward()
            nll_sum += nll.detach().double()
        self.module.eval()
        lr, norm = self._optimizer_step()
        (loss_sum,) = self.runtime.sum([nll_sum.item()])
        return StepResult(loss_sum / max(1, targets), lr, norm, tokens)

    def _micro_batches(self, planned: Step) -> list[tuple[Row, ...]]:
        """This process's micro-batches of a step: all of them, or its share of the rows under several processes."""
        return (list(planned.micro_batches) if not self.runtime.enabled
                else self.runtime.share(planned.rows, self.hp.batch_size))

    def _optimizer_step(self) -> tuple[float, float]:
        """Clips the step's gradients, sets the scheduled learning rate and steps AdamW: (learning rate, gradient
        norm before clipping)."""
        hp = self.hp
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        params = [p for _, p in self.trainable]
        max_norm = hp.max_grad_norm if hp.max_grad_norm > 0 else math.inf
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm, foreach=True)
        lr = self.schedule.at(self.step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return lr, _full(norm)

    def _batch(self, rows: tuple[Row, ...], examples: list[Encoded]) -> Batch:
        if not rows:  # this rank's share of the step is empty: one padding token, no target
            rows, examples = (Row((0,)),), [Encoded((self.pad_id,), (-100,))]
        return make_batch(rows, examples, self.pad_id, flat=self.flat).to(self.device)

    def _forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        return self.module(batch.input_ids, batch.position_ids, batch.target_index, batch.target_ids,
                           attention_mask_for(self.config_of_model, batch), batch.lengths)

    @property
    def config_of_model(self):
        return self.weights.causal_lm.config

    def _no_sync(self, skip: bool):
        if skip and hasattr(self.module, "no_sync"):
            return self.module.no_sync()
        return nullcontext()

    def _autocast(self):
        if self.amp_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    # --- validation, outputs, checkpoints ----------------------------------------------------------------

    def _validate(self) -> bool:
        """Validates, keeps the best weights as the output, and says whether early stopping ends the run."""
        loss, accuracy, extra = self._validation_scores()
        self.last_eval_step = self.step
        self.events.emit("eval", step=self.step, valid_loss=loss, token_accuracy=accuracy, **extra)
        self.log_history.append({"step": self.step, "eval_loss": loss, "eval_token_accuracy": accuracy,
                                 **{f"eval_{k}": v for k, v in extra.items()}})
        if self.best_loss is None or loss < self.best_loss:
            self.best_loss, self.best_step = loss, self.step
            self.evals_without_improvement = 0
            self._write_output()
            return False
        self.evals_without_improvement += 1
        patience = self.spec.early_stopping_patience
        return patience is not None and self.evals_without_improvement >= patience

    def _validation_scores(self) -> tuple[float, float, dict]:
        """(validation loss, token accuracy, what the method reports besides) over the validation data."""
        bs = self.hp.batch_size
        batches = [tuple(Row((i,)) for i in range(s, min(len(self.validation), s + bs)))
                   for s in range(0, len(self.validation), bs)]
        mine = self.runtime.share_batches(batches, ())
        nll = correct = 0.0
        self.module.eval()
        with torch.no_grad(), self._autocast():
            for rows in mine:
                part_nll, part_correct = self._forward(self._batch(rows, self.validation))
                nll += part_nll.item()
                correct += part_correct.item()
        nll, correct = self.runtime.sum([nll, correct])
        targets = sum(e.target_count for e in self.validation)
        return nll / max(1, targets), correct / max(1, targets), {}

    def _output_dir(self) -> Path:
        return self.spec.output_dir / self.weights.output_kind

    def _gathered_weights(self) -> dict[str, torch.Tensor]:
        """Every trainable tensor in full on rank 0 (a collective under FSDP2: every rank calls it)."""
        out = {}
        for name, p in self.trainable:
            full = _gather(p.detach())
            if self.runtime.main:
                out[name] = full.to("cpu", torch.float32).clone()
        return out

    def _write_output(self) -> None:
        tensors = self._gathered_weights()
        if self.runtime.main:
            with checkpoint.atomic_directory(self._output_dir()) as tmp:
                self.weights.save(tmp, tensors)

    def _checkpoint(self) -> Path:
        tensors = self._gathered_weights()
        moments: dict[str, torch.Tensor] = {}
        for name, p in self.trainable:
            state = self.optimizer.state[p]
            for key in ("exp_avg", "exp_avg_sq"):
                full = _gather(state[key])
                if self.runtime.main:
                    moments[f"{key}.{name}"] = full.to("cpu", torch.float32).clone()
        rng = self.runtime.gather_objects((checkpoint.host_rng_state(), checkpoint.torch_rng_state()))
        planned = self.plan.steps[self.step - 1]
        target = self.spec.output_dir / f"checkpoint-{self.step}"
        if self.runtime.main:
            self.spec.output_dir.mkdir(parents=True, exist_ok=True)
            state = CheckpointState(
                global_step=self.step, epoch=planned.epoch, step_in_epoch=planned.index_in_epoch + 1,
                seed=self.hp.seed, plan_fingerprint=self.plan.fingerprint,
                optimizer_step=_optimizer_step(self.optimizer), scheduler_step=self.step, best_step=self.best_step,
                best_valid_loss=self.best_loss, evals_without_improvement=self.evals_without_improvement,
                log_history=self.log_history, last_eval_step=self.last_eval_step,
                method=method_summary(self.spec.method), world_size=self.runtime.world_size,
                grad_scaler=self.scaler.state_dict() if self.scaler is not None else None,
                host_rng=[host for host, _ in rng])
            torch_rng = {f"rank{r}.{k}": v for r, (_, states) in enumerate(rng) for k, v in states.items()}
            checkpoint.write_checkpoint(self.spec.output_dir, state, len(self.plan),
                                        lambda d: self.weights.save_checkpoint(d, tensors), self.weights.output_kind,
                                        moments, torch_rng)
        self.runtime.barrier()
        self.last_checkpoint = target
        self.events.emit("checkpoint", step=self.step, dir=str(target))
        return target

    def _stopped(self) -> int:
        resumable = self.last_checkpoint
        if self.step > 0 and (resumable is None or resumable.name != f"checkpoint-{self.step}"):
            resumable = self._checkpoint()
        self.runtime.barrier()
        self.events.emit("stopped", step=self.step, checkpoint=str(resumable) if resumable else None,
                         reason=self.stop.reason or "SIGTERM")
        return int(ExitCode.TERMINATED)

    def _finished(self, early: bool) -> int:
        state_file = self.spec.output_dir / checkpoint.TRAINER_STATE
        if self.runtime.main:
            self.spec.output_dir.mkdir(parents=True, exist_ok=True)
            checkpoint.write_json(state_file, {
                "global_step": self.step, "max_steps": len(self.plan),
                "best_step": self.best_step if self.best_step >= 0 else None, "best_metric": self.best_loss,
                "log_history": self.log_history})
        metrics: dict = {"global_step": self.step, "early_stopped": early}
        losses = [e["loss"] for e in self.log_history if "loss" in e]
        if losses:
            metrics["train_loss"] = losses[-1]
        if self.best_loss is not None:
            metrics["best_valid_loss"] = self.best_loss
        if self.device.type == "cuda":
            metrics["peak_cuda_memory_bytes"] = torch.cuda.max_memory_allocated(self.device)
        evals = [e for e in self.log_history if "eval_loss" in e]
        if evals:  # the last validation's scores, eval_loss as valid_loss, eval_<name> as <name>
            metrics.update({("valid_loss" if k == "eval_loss" else k.removeprefix("eval_")): v
                            for k, v in evals[-1].items() if k.startswith("eval_")})
        self.events.emit("finished", best_step=self.best_step,
                         outputs={self.weights.output_kind: str(self._output_dir()), "trainer_state": str(state_file)},
                         metrics=metrics)
        return int(ExitCode.DONE)


# --- helpers ---------------------------------------------------------------------------------------------


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    if precision == "fp32":
        return None
    if precision == "bf16":
        if device.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise WorkerFailure.bad_spec(f"precision: bf16 needs a GPU with bfloat16 support; {device} has none "
                                         "(use fp16 or fp32)")
        return torch.bfloat16
    if precision == "fp16":
        if device.type != "cuda":
            raise WorkerFailure.bad_spec("precision: fp16 trains on CUDA only (with loss scaling); on the CPU use "
                                         "bf16 or fp32")
        return torch.float16
    raise WorkerFailure.bad_spec(f"precision: unknown precision {precision!r}")


@contextmanager
def memory_named(where: str, device: torch.device):
    """Running out of memory as ``out_of_resources`` saying where, and what to change."""
    advice = "try a smaller batch_size or max_seq_length, or gradient_checkpointing"
    try:
        yield
    except torch.OutOfMemoryError as e:
        log.exception("out of memory")
        raise WorkerFailure.out_of_resources(f"out of {device} memory {where}: {_first_line(e)}; {advice}") from e
    except MemoryError as e:
        log.exception("out of memory")
        raise WorkerFailure.out_of_resources(f"out of host memory {where}; {advice}") from e
    except RuntimeError as e:
        if "can't allocate memory" not in str(e) and "out of memory" not in str(e).lower():
            raise
        log.exception("out of memory")
        kind = "host" if "CPU" in str(e) or device.type == "cpu" else str(device)
        raise WorkerFailure.out_of_resources(f"out of {kind} memory {where}: {_first_line(e)}; {advice}") from e


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def dropout_seed(seed: int, step: int, micro_batch: int, rank: int = 0) -> int:
    """The djl runtime's ``Long.hashCode(seed * 1_000_003 + step * 1_009 + i)``, offset per rank."""
    return long_hash(java_long(seed * 1_000_003 + step * 1_009 + micro_batch + rank * 1_000_000_007))


def method_summary(method: Lora | Dpo | Qlora | Full | PromptTuning | PrefixTuning) -> dict:
    if isinstance(method, PromptTuning):
        return {"type": "prompt_tuning", "num_virtual_tokens": method.num_virtual_tokens, "init": method.init,
                "init_text": method.init_text}
    if isinstance(method, PrefixTuning):
        return {"type": "prefix_tuning", "num_virtual_tokens": method.num_virtual_tokens,
                "prefix_projection": method.prefix_projection, "encoder_hidden_size": method.encoder_hidden_size}
    if isinstance(method, Qlora):
        return {"type": "qlora", "r": method.r, "alpha": method.lora_alpha,
                "target_modules": list(method.target_modules), "use_rslora": method.use_rslora,
                "double_quant": method.double_quant}
    if isinstance(method, Dpo):
        return {"type": "dpo", "r": method.r, "alpha": method.lora_alpha, "target_modules": list(method.target_modules),
                "use_rslora": method.use_rslora, "beta": method.beta, "label_smoothing": method.label_smoothing}
    if isinstance(method, Lora):
        return {"type": "lora", "r": method.r, "alpha": method.lora_alpha,
                "target_modules": list(method.target_modules), "use_rslora": method.use_rslora}
    return {"type": "full"}


def _gather(t: torch.Tensor) -> torch.Tensor:
    """A sharded (DTensor) tensor in full on every rank; a plain one as it is."""
    return t.full_tensor() if hasattr(t, "full_tensor") else t


def _full(norm: torch.Tensor) -> float:
    return float(_gather(norm).item())


def _like(saved: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """A saved full tensor placed as parameter ``p`` is (sharded the same way under FSDP2)."""
    if saved.shape != p.shape:
        raise WorkerFailure.bad_spec(f"resume_from: optimizer state of shape {tuple(saved.shape)} for a parameter of "
                                     f"shape {tuple(p.shape)}")
    if hasattr(p, "device_mesh"):
        from torch.distributed.tensor import distribute_tensor

        return distribute_tensor(saved.to(p.device_mesh.device_type), p.device_mesh, p.placements)
    return saved.to(p.device)


def _optimizer_step(optimizer: torch.optim.Optimizer) -> int:
    for state in optimizer.state.values():
        if "step" in state:
            return int(_gather(state["step"]).item()) if torch.is_tensor(state["step"]) else int(state["step"])
    return 0

