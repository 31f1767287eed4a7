"""NF4 weights (tuneforge_worker.nf4): the paper's code table, nearest-code rounding, the round-trip bound of the
module comment, double quantisation's extra error, the packed size, and the frozen Linear built on them."""

import pytest
import torch
from torch import nn

from tuneforge_worker.nf4 import (
    BLOCK,
    MAX_GAP,
    NF4,
    SCALE_BLOCK,
    NF4Linear,
    nearest_code,
    quantize,
    quantize_projections,
)

#: Dettmers et al. 2023 (QLoRA), Appendix E, as bitsandbytes' and torchao's NF4 tables write it
PAPER_NF4 = [-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
             -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
             0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
             0.7229568362236023, 1.0]


def weight(rows=96, cols=200, seed=0) -> torch.Tensor:
    """Normal weights with a few outliers, a shape whose size is not a multiple of the block."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(rows, cols, generator=g) * 0.02
    w[3, 7], w[50, cols - 1] = 0.5, -0.3
    return w


def test_the_code_table_is_the_papers_sixteen_values_exactly():
    assert list(NF4) == PAPER_NF4
    assert torch.tensor(NF4, dtype=torch.float32).tolist() == torch.tensor(PAPER_NF4, dtype=torch.float32).tolist()
    assert MAX_GAP == pytest.approx(1.0 - 0.6961928009986877)


def test_each_value_gets_the_index_of_the_nearest_code():
    values = torch.linspace(-1, 1, 10001)
    distance = (values.unsqueeze(1) - torch.tensor(NF4).unsqueeze(0)).abs()
    expected = distance.argmin(dim=1)
    got = nearest_code(values)
    # where two codes are equally near (a midpoint) either is nearest
    assert torch.equal(distance.gather(1, got.unsqueeze(1)), distance.gather(1, expected.unsqueeze(1)))
    assert nearest_code(torch.tensor(PAPER_NF4)).tolist() == list(range(16))


def test_the_stored_codes_are_the_nearest_codes_of_each_block_scaled_by_its_absmax():
    w = weight()
    q = quantize(w)
    flat = torch.nn.functional.pad(w.reshape(-1), (0, -w.numel() % BLOCK)).view(-1, BLOCK)
    absmax = flat.abs().amax(dim=1)
    assert torch.equal(q.absmax, absmax)
    indices = torch.stack((q.packed >> 4, q.packed & 0xF), dim=1).reshape(-1).long()
    assert torch.equal(indices, nearest_code((flat / absmax.unsqueeze(1)).reshape(-1)))


def test_every_element_round_trips_within_half_the_largest_code_gap_times_its_block_absmax():
    w = weight()
    q = quantize(w)
    error = (q.dequantize() - w).abs().reshape(-1)
    bound = (q.absmax * MAX_GAP / 2).repeat_interleave(BLOCK)[: w.numel()]
    assert (error <= bound * (1 + 1e-6)).all()
    # the bound is met with room on normal weights, not by a loose construction
    assert error.max() > 0


def test_double_quantisation_adds_at_most_half_an_int8_step_of_the_scale_block():
    w = weight(rows=512, cols=130)  # 1040 blocks: five scale blocks, the last one padded
    single, double = quantize(w), quantize(w, double_quant=True)
    assert double.double_quant and double.absmax_q.dtype == torch.int8
    assert torch.equal(double.packed, single.packed)  # codes are chosen against the exact absmax

    centred = torch.nn.functional.pad(single.absmax - single.absmax.mean(), (0, -single.absmax.numel() % SCALE_BLOCK))
    step_half = (centred.view(-1, SCALE_BLOCK).abs().amax(dim=1) / 254).repeat_interleave(SCALE_BLOCK)
    scale_error = (double.scales() - single.absmax).abs()
    assert (scale_error <= step_half[: single.absmax.numel()] * (1 + 1e-5) + 1e-9).all()

    error = (double.dequantize() - w).abs().reshape(-1)
    bound = (single.absmax * MAX_GAP / 2 + scale_error).repeat_interleave(BLOCK)[: w.numel()]
    assert (error <= bound * (1 + 1e-5) + 1e-9).all()


def test_the_packed_weight_takes_half_a_byte_a_parameter_plus_the_scales():
    w = torch.randn(1024, 1024)
    n = w.numel()
    single, double = quantize(w), quantize(w, double_quant=True)
    assert single.packed.dtype == torch.uint8 and single.packed.numel() == n // 2
    assert single.nbytes() == n // 2 + 4 * n // BLOCK  # 4.5 bits a parameter
    assert double.nbytes() == n // 2 + n // BLOCK + 4 * n // BLOCK // SCALE_BLOCK + 4  # about 4.127 bits
    assert double.nbytes() * 8 / n == pytest.approx(4.127, abs=0.001)


def test_a_zero_block_dequantises_to_zeros():
    w = torch.zeros(2, BLOCK)
    w[1, 0] = 1.0
    assert torch.equal(quantize(w).dequantize(), w)


@pytest.mark.parametrize("double_quant", [False, True])
def test_the_nf4_linear_computes_with_the_dequantised_weight_and_passes_gradients_to_its_input(double_quant):
    linear = nn.Linear(200, 96, bias=True)
    with torch.no_grad():
        linear.weight.copy_(weight())
    layer = NF4Linear(linear, double_quant, torch.float32)
    w = quantize(linear.weight, double_quant).dequantize()
    x = torch.randn(3, 5, 200, requires_grad=True)
    out = layer(x)
    expected = x.detach() @ w.T + linear.bias.detach()
    torch.testing.assert_close(out, expected)
    out.sum().backward()
    torch.testing.assert_close(x.grad, torch.ones(3, 5, 96) @ w)
    assert not any(p.requires_grad for p in layer.parameters())


def test_the_nf4_linear_computes_in_bfloat16_and_keeps_its_scales_exact_through_module_to():
    linear = nn.Linear(200, 96, bias=False)
    layer = NF4Linear(linear, True, torch.bfloat16)
    before = layer.dequantized()
    layer.to(torch.bfloat16)
    assert torch.equal(layer.dequantized(), before)
    out = layer(torch.randn(4, 200, dtype=torch.bfloat16))
    assert out.dtype == torch.bfloat16


def test_only_the_named_plain_linears_are_replaced():
    model = nn.ModuleDict({"layer": nn.ModuleDict({"q_proj": nn.Linear(64, 64), "lm_head": nn.Linear(64, 8)})})
    assert quantize_projections(model, ("q_proj", "k_proj"), False, torch.float32) == 1
    assert isinstance(model["layer"]["q_proj"], NF4Linear)
    assert type(model["layer"]["lm_head"]) is nn.Linear
