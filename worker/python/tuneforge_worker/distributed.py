"""Several training processes (``torchrun --nproc_per_node N -m tuneforge_worker train ...``).

One process is the same run with ``world_size`` 1 and no collectives. With several, every rank builds the
same plan (it is a pure function of the data and the spec) and takes its share of each step's rows, so the
global batch and the loss normalisation (the step's target count, read from the plan, identical on every
rank) are the single-process run's. LoRA runs under DDP (the adapter is small: every rank holds all of it),
full fine-tuning under FSDP2 (``fully_shard`` per decoder layer, then the whole model). Both average
gradients over ranks, so each rank scales its loss by ``world_size``: the reduced gradient is then that of
the step's summed loss over its global target count, as with one process.

FSDP2 and DDP run collectives in every forward and backward, so every rank runs the same number of
micro-batches in a step (and of batches in a validation): a rank with fewer rows runs an empty one — a single
padding token with no target, which adds nothing to the loss or the gradients.

The backend is NCCL on CUDA (each process on ``cuda:LOCAL_RANK``) and gloo on the CPU. Only rank 0 reports
events and writes files; a stop request is all-reduced each step so that every rank stops at the same step.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn

from .errors import WorkerFailure
from .model import resolve_device
from .plan import Row


@dataclass
class Distributed:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    mesh: object = None  # the DeviceMesh FSDP2 shards over

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @classmethod
    def start(cls, device_name: str) -> Distributed:
        """This process's rank and device, from torchrun's environment; joins the process group if there are
        several processes."""
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        device = resolve_device(device_name)
        if world_size == 1:
            return cls(device=device)
        if device.type == "cuda":
            if ":" in device_name:
                raise WorkerFailure.bad_spec(
                    f"device: {device_name} names one GPU, but {world_size} processes train; use cuda or auto "
                    "(each process takes cuda:LOCAL_RANK)")
            if local_rank >= torch.cuda.device_count():
                raise WorkerFailure.out_of_resources(
                    f"device: process {local_rank} of this node has no GPU ({torch.cuda.device_count()} here)")
            device = torch.device("cuda", local_rank)
            torch.cuda.set_device(device)
            dist.init_process_group("nccl", device_id=device, timeout=timedelta(minutes=30))
        else:
            dist.init_process_group("gloo", timeout=timedelta(minutes=30))
        from torch.distributed.device_mesh import init_device_mesh

        mesh = init_device_mesh(device.type, (world_size,))
        return cls(rank, world_size, local_rank, device, mesh)

    def close(self) -> None:
        if self.enabled and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()

    # --- collectives (no-ops with one process) ---------------------------------------------------------

    def sum(self, values: Sequence[float]) -> list[float]:
        """Element-wise sums over ranks, in float64."""
        if not self.enabled:
            return [float(v) for v in values]
        t = torch.tensor(list(values), dtype=torch.float64, device=self._comm_device)
        dist.all_reduce(t)
        return t.tolist()

    def any(self, flag: bool) -> bool:
        """Whether any rank says yes (every rank gets the same answer)."""
        if not self.enabled:
            return flag
        t = torch.tensor([1 if flag else 0], dtype=torch.int32, device=self._comm_device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def gather_objects(self, obj) -> list:
        """``obj`` of every rank, in rank order (on every rank)."""
        if not self.enabled:
            return [obj]
        out = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def broadcast(self, obj):
        """Rank 0's ``obj`` on every rank."""
        if not self.enabled:
            return obj
        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def share_batches(self, batches: Sequence, empty) -> list:
        """This rank's batches of a validation: ``rank, rank + world_size, ...``, as many on every rank (``empty``
        where it has no more), because a forward under DDP or FSDP2 is a collective."""
        per_rank = math.ceil(len(batches) / self.world_size)
        return [batches[j] if j < len(batches) else empty for j in range(self.rank, per_rank * self.world_size,
                                                                          self.world_size)]

    @property
    def _comm_device(self) -> torch.device:
        return self.device if self.device.type == "cuda" else torch.device("cpu")

    # --- splitting work ----------------------------------------------------------------------------

    def share(self, rows: Sequence[Row], batch_size: int) -> list[tuple[Row, ...]]:
        """This rank's micro-batches of a step's rows: rows ``rank, rank + world_size, ...`` in batches of
        ``batch_size``, as many micro-batches on every rank (an empty tuple is an empty micro-batch)."""
        mine = list(rows[self.rank::self.world_size])
        count = math.ceil(math.ceil(len(rows) / self.world_size) / batch_size)
        return [tuple(mine[i * batch_size:(i + 1) * batch_size]) for i in range(count)]

    # --- wrapping the model ------------------------------------------------------------------------

    def wrap(self, module: nn.Module, layers: Sequence[nn.Module], shard: bool) -> nn.Module:
        """``module`` as the training processes share it: itself (one process), under DDP, or sharded with
        FSDP2 (``layers`` first, each its own unit, then the rest)."""
        if not self.enabled:
            return module
        if shard:
            from torch.distributed.fsdp import fully_shard

            for layer in layers:
                fully_shard(layer, mesh=self.mesh)
            fully_shard(module, mesh=self.mesh)
            return module
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        # No buffer changes during training (the rotary table is fixed), so none are broadcast per forward.
        # torch 2.13 deprecates broadcast_buffers for forward_sync_buffers, which 2.11 (the GPU image) lacks.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*broadcast_buffers.*", category=FutureWarning)
            return DistributedDataParallel(module, device_ids=ids, broadcast_buffers=False)
