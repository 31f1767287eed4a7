"""4-bit NormalFloat (NF4) weights, as QLoRA quantises a frozen base model (Dettmers et al. 2023).

A weight is cut into blocks of ``BLOCK`` (64) consecutive elements (row-major, the last block padded with zeros);
each block keeps its absolute maximum ``A`` and every element ``x`` the index of the NF4 code nearest to ``x / A``
(``NF4``: the paper's Appendix E table, the one bitsandbytes and torchao use), two 4-bit indices a byte (the
first element in the high nibble). Dequantising is ``NF4[index] * A``.

Round-trip bound: ``x / A`` lies in [-1, 1], which the codes span (-1 and 1 are codes), so the nearest code is at
most half the gap between the two codes around it away: ``|x - NF4[i] * A| <= A * MAX_GAP / 2`` with ``MAX_GAP``
the largest gap between neighbouring codes (0.3038, between -1 and -0.6962), for every element.

Double quantisation (the paper's section 3, "Double Quantization") stores the per-block ``A`` in 8 bits instead of
32: the mean ``m`` of all of them is taken out, and the rest is quantised linearly to int8 in blocks of
``SCALE_BLOCK`` (256) with one float32 scale ``s`` (the block's largest ``|A - m|``) per block:
``A' = m + q * s / 127``, ``|A - A'| <= s / 254``. The element bound becomes ``A * MAX_GAP / 2 + |A - A'|``
(``|NF4[i]| <= 1``). Codes are chosen against the exact ``A``, as bitsandbytes does. Memory: 4 bits a weight plus
32 bits per 64 weights (0.5 bit/weight) for the scales, or 8 bits per 64 plus 32 per 64 * 256 (0.127 bit/weight)
with double quantisation.

``NF4Linear`` is a frozen ``nn.Linear`` whose ``weight`` parameter is the packed uint8 indices (so PEFT wraps it
as any Linear and, seeing an integer weight, keeps its adapter in float32); its forward dequantises the weight
to the compute dtype and multiplies, and its backward dequantises again instead of keeping the full weight
alive between forward and backward (as torchao's ``NF4Tensor`` linear does), which is where the memory goes.
On CUDA the dequantisation is ``torch.compile``d. The float32 scales are stored bit-cast to int32 so that
``Module.to(dtype)`` cannot round them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

#: the QLoRA paper's NF4 data type (Appendix E), index 0..15; index 7 is exactly zero
NF4 = (
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
)
MAX_GAP = max(b - a for a, b in zip(NF4, NF4[1:], strict=False))
BLOCK = 64
SCALE_BLOCK = 256


def code_table(device: torch.device | str = "cpu") -> torch.Tensor:
    return torch.tensor(NF4, dtype=torch.float32, device=device)


@dataclass
class NF4Weight:
    """A quantised weight: packed indices, and the per-block scales (plain or double-quantised)."""

    shape: torch.Size
    packed: torch.Tensor  # uint8, ceil(numel / BLOCK) * BLOCK / 2
    absmax: torch.Tensor | None  # float32 per block, without double quantisation
    absmax_q: torch.Tensor | None = None  # int8 per block (padded to SCALE_BLOCK), with it
    absmax_scale: torch.Tensor | None = None  # float32 per SCALE_BLOCK
    absmax_mean: torch.Tensor | None = None  # float32 scalar

    @property
    def double_quant(self) -> bool:
        return self.absmax_q is not None

    def scales(self) -> torch.Tensor:
        """The per-block scale ``A`` (``A'`` with double quantisation), float32."""
        if self.absmax is not None:
            return self.absmax
        return _dequantize_scales(self.absmax_q, self.absmax_scale, self.absmax_mean, self.blocks)

    @property
    def blocks(self) -> int:
        return -(-self.shape.numel() // BLOCK)

    def nbytes(self) -> int:
        parts = (self.packed, self.absmax, self.absmax_q, self.absmax_scale, self.absmax_mean)
        return sum(t.numel() * t.element_size() for t in parts if t is not None)

    def dequantize(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return _dequantize_blocks(self.packed, self.scales(), self.shape.numel()).view(self.shape).to(dtype)


def quantize(weight: torch.Tensor, double_quant: bool = False) -> NF4Weight:
    """Block-wise absmax NF4 of ``weight`` (any shape), computed in float32."""
    flat = weight.detach().reshape(-1).float()
    pad = -flat.numel() % BLOCK
    blocks = F.pad(flat, (0, pad)).view(-1, BLOCK)
    absmax = blocks.abs().amax(dim=1)
    normalised = blocks / absmax.clamp_min(torch.finfo(torch.float32).tiny).unsqueeze(1)
    indices = nearest_code(normalised.reshape(-1))
    packed = (indices[0::2] << 4 | indices[1::2]).to(torch.uint8)
    if not double_quant:
        return NF4Weight(weight.shape, packed, absmax)
    mean = absmax.mean()
    centred = absmax - mean
    groups = F.pad(centred, (0, -centred.numel() % SCALE_BLOCK)).view(-1, SCALE_BLOCK)
    scale = groups.abs().amax(dim=1)
    q = torch.round(groups / scale.clamp_min(torch.finfo(torch.float32).tiny).unsqueeze(1) * 127)
    return NF4Weight(weight.shape, packed, None, q.to(torch.int8).reshape(-1), scale, mean)


def nearest_code(values: torch.Tensor) -> torch.Tensor:
    """The index (int64) of the NF4 code nearest to each of ``values`` (in [-1, 1]); a tie takes the lower code."""
    table = code_table(values.device)
    midpoints = (table[1:] + table[:-1]) / 2
    return torch.bucketize(values, midpoints, right=False)


def _dequantize_scales(q: torch.Tensor, scale: torch.Tensor, mean: torch.Tensor, blocks: int) -> torch.Tensor:
    return (q.view(-1, SCALE_BLOCK).float() * (scale / 127).unsqueeze(1)).reshape(-1)[:blocks] + mean


def _dequantize_eager(packed: torch.Tensor, scales: torch.Tensor, numel: int) -> torch.Tensor:
    indices = torch.stack((packed >> 4, packed & 0xF), dim=1).reshape(-1).long()
    values = code_table(packed.device)[indices].view(-1, BLOCK) * scales.unsqueeze(1)
    return values.reshape(-1)[:numel]


_compiled = None


def _dequantize_blocks(packed: torch.Tensor, scales: torch.Tensor, numel: int) -> torch.Tensor:
    global _compiled
    if packed.device.type != "cuda":
        return _dequantize_eager(packed, scales, numel)
    if _compiled is None:
        _compiled = torch.compile(_dequantize_eager, dynamic=True)
    return _compiled(packed, scales, numel)


class _Nf4Matmul(torch.autograd.Function):
    """``x @ W.T`` with W dequantised in the forward and again in the backward; no gradient for W (frozen)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, layer: NF4Linear) -> torch.Tensor:
        ctx.layer = layer
        ctx.input_dtype = x.dtype
        w = layer.dequantized()
        return F.linear(x.to(w.dtype), w)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        w = ctx.layer.dequantized()
        return (grad.to(w.dtype) @ w).to(ctx.input_dtype), None


class NF4Linear(nn.Linear):
    """A frozen Linear holding its weight in NF4 (see the module comment); bias, if any, kept in compute dtype."""

    def __init__(self, linear: nn.Linear, double_quant: bool, compute_dtype: torch.dtype):
        nn.Module.__init__(self)  # not nn.Linear's: it would allocate a full weight
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.compute_dtype = compute_dtype
        q = quantize(linear.weight, double_quant)
        self.shape = q.shape
        self.weight = nn.Parameter(q.packed, requires_grad=False)
        for name in ("absmax", "absmax_q", "absmax_scale", "absmax_mean"):
            t = getattr(q, name)
            if t is not None and t.dtype == torch.float32:
                t = t.view(torch.int32)  # bit-cast: Module.to(dtype) leaves integer buffers alone
            self.register_buffer(name, t)
        self.bias = (nn.Parameter(linear.bias.detach().to(compute_dtype), requires_grad=False)
                     if linear.bias is not None else None)

    def nf4(self) -> NF4Weight:
        def f32(t):
            return t.view(torch.float32) if t is not None and t.dtype == torch.int32 else t

        return NF4Weight(self.shape, self.weight, f32(self.absmax), self.absmax_q, f32(self.absmax_scale),
                         f32(self.absmax_mean))

    def dequantized(self) -> torch.Tensor:
        return self.nf4().dequantize(self.compute_dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = _Nf4Matmul.apply(x, self)
        return out + self.bias.to(out.dtype) if self.bias is not None else out

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, nf4, "
                f"double_quant={self.absmax_q is not None}, compute_dtype={self.compute_dtype}")


def quantize_projections(model: nn.Module, names: tuple[str, ...], double_quant: bool,
                         compute_dtype: torch.dtype) -> int:
    """Replaces every ``nn.Linear`` child called one of ``names`` by an ``NF4Linear``; the number replaced."""
    replaced = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if name in names and type(child) is nn.Linear:
                setattr(parent, name, NF4Linear(child, double_quant, compute_dtype))
                replaced += 1
    return replaced
