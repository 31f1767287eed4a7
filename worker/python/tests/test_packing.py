"""Packed rows and flat batches: no example sees another, so each gets exactly the loss and gradients it gets
alone."""

from contextlib import contextmanager

import pytest
import torch

from tuneforge_worker.attention import use_segment_attention
from tuneforge_worker.data import IGNORE, Encoded
from tuneforge_worker.loss import TokenLoss
from tuneforge_worker.model import load_model
from tuneforge_worker.packing import attention_mask_for, block_causal_mask, make_batch
from tuneforge_worker.plan import Row

TOL = dict(rtol=1e-5, atol=1e-5)


def example(seed: int, length: int) -> Encoded:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, 259, (length,), generator=g).tolist()
    # the second half is the answer: targets from the middle on
    targets = [ids[t + 1] if length // 2 <= t + 1 < length else IGNORE for t in range(length)]
    return Encoded(tuple(ids), tuple(targets))


EXAMPLES = [example(1, 9), example(2, 5), example(3, 12), example(4, 7)]


@contextmanager
def segment_attention(model, on: bool):
    if on:
        use_segment_attention(model)
    try:
        yield
    finally:
        model.set_attn_implementation("sdpa")


def loss_and_grads(model, rows, examples, only=None, flat=False):
    """Summed loss of ``rows`` (as rows, or as one flat batch) and the gradient of every weight; ``only`` keeps
    the targets of one example."""
    if only is not None:
        examples = [e if i == only else Encoded(e.input_ids, (IGNORE,) * len(e)) for i, e in enumerate(examples)]
    batch = make_batch(rows, examples, pad_id=0, flat=flat)
    module = TokenLoss(model)
    model.zero_grad(set_to_none=True)
    with segment_attention(model, flat):
        nll, _ = module(batch.input_ids, batch.position_ids, batch.target_index, batch.target_ids,
                        attention_mask_for(model.config, batch), batch.lengths)
    nll.backward()
    return nll.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.fixture(scope="module")
def llama(tiny_llama):
    return load_model(tiny_llama, torch.device("cpu")).train()


def qwen2_with_sliding_layers():
    """Qwen2 whose second layer attends through a window of 4, shorter than the examples."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=259, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, use_sliding_window=True, sliding_window=4,
                         max_window_layers=1, attn_implementation="sdpa")
    assert config.layer_types == ["full_attention", "sliding_attention"]
    return Qwen2ForCausalLM(config)


@pytest.mark.parametrize("flat", [False, True], ids=["rows", "flat"])
@pytest.mark.parametrize("model_type", ["llama", "qwen2", "mistral", "qwen2-sliding"])
def test_each_packed_example_gets_the_loss_and_gradients_it_gets_alone(model_factory, model_type, flat):
    if model_type == "qwen2-sliding":
        model = qwen2_with_sliding_layers()
    else:
        model = load_model(model_factory(model_type), torch.device("cpu"))
    if model_type == "mistral":
        model.config.sliding_window = 4  # shorter than the examples: the packed mask must apply it too
    packed = [Row((0, 1, 2)), Row((3,))]  # the second row is padded
    for k in range(len(EXAMPLES)):
        alone_loss, alone_grads = loss_and_grads(model, [Row((k,))], EXAMPLES)
        packed_loss, packed_grads = loss_and_grads(model, packed, EXAMPLES, only=k, flat=flat)
        torch.testing.assert_close(packed_loss, alone_loss, **TOL)
        assert packed_grads.keys() == alone_grads.keys()
        for name, g in alone_grads.items():
            torch.testing.assert_close(packed_grads[name], g, **TOL, msg=f"example {k}: {name}")


def test_the_packed_loss_is_the_sum_of_the_losses_alone(llama):
    packed, _ = loss_and_grads(llama, [Row((0, 1)), Row((2, 3))], EXAMPLES)
    alone = sum(loss_and_grads(llama, [Row((k,))], EXAMPLES)[0] for k in range(4))
    torch.testing.assert_close(packed, alone, **TOL)


def test_the_loss_at_target_positions_is_transformers_causal_lm_loss(llama):
    e = EXAMPLES[2]
    ours, _ = loss_and_grads(llama, [Row((2,))], EXAMPLES)
    # transformers shifts labels itself: label t + 1 is what follows position t
    labels = torch.tensor([[IGNORE, *e.targets[:-1]]])
    out = llama(input_ids=torch.tensor([e.input_ids]), labels=labels)
    torch.testing.assert_close(ours, out.loss.detach() * e.target_count, **TOL)


def test_a_chunked_lm_head_gives_the_same_loss_and_gradients(llama):
    whole, whole_grads = loss_and_grads(llama, [Row((0, 1, 2))], EXAMPLES)
    batch = make_batch([Row((0, 1, 2))], EXAMPLES, pad_id=0)
    module = TokenLoss(llama)
    module.chunk = 3
    llama.zero_grad(set_to_none=True)
    nll, correct = module(batch.input_ids, batch.position_ids, batch.target_index, batch.target_ids,
                          attention_mask_for(llama.config, batch))
    nll.backward()
    torch.testing.assert_close(nll.detach(), whole, **TOL)
    for name, p in llama.named_parameters():
        torch.testing.assert_close(p.grad, whole_grads[name], **TOL)
    assert 0 <= correct.item() <= batch.target_count


def test_a_flat_batch_lays_every_example_end_to_end_without_padding():
    batch = make_batch([Row((1, 0)), Row((3,))], EXAMPLES, pad_id=0, flat=True)
    assert batch.input_ids.shape == (1, 5 + 9 + 7)
    assert batch.lengths.tolist() == [5, 9, 7]
    assert batch.position_ids[0].tolist() == list(range(5)) + list(range(9)) + list(range(7))
    assert batch.target_count == EXAMPLES[0].target_count + EXAMPLES[1].target_count + EXAMPLES[3].target_count
    assert batch.token_count == 21
    assert not batch.packed  # it passes no mask: attention goes example by example


def test_without_segment_lengths_segment_attention_is_transformers_sdpa(llama):
    ids = torch.tensor([EXAMPLES[2].input_ids])
    with torch.no_grad():
        expected = llama(input_ids=ids).logits
        with segment_attention(llama, True):
            actual = llama(input_ids=ids).logits
    torch.testing.assert_close(actual, expected, **TOL)


def test_positions_restart_at_each_example_and_padding_carries_no_target():
    batch = make_batch([Row((1, 0)), Row((3,))], EXAMPLES, pad_id=0)
    assert batch.position_ids[0].tolist() == list(range(5)) + list(range(9))
    assert batch.segments[1].tolist() == [0] * 7 + [-1] * 7
    assert (batch.targets[1, 7:] == IGNORE).all()
    assert batch.target_count == EXAMPLES[0].target_count + EXAMPLES[1].target_count + EXAMPLES[3].target_count
    assert batch.token_count == 9 + 5 + 7


def test_the_mask_is_block_diagonal_causal_and_every_query_sees_itself():
    mask = block_causal_mask(torch.tensor([[0, 0, 1, 1, 1, -1]]))[0, 0]
    expected = torch.tensor([
        [1, 0, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0],
        [0, 0, 1, 0, 0, 0],
        [0, 0, 1, 1, 0, 0],
        [0, 0, 1, 1, 1, 0],
        [0, 0, 0, 0, 0, 1]], dtype=torch.bool)
    assert torch.equal(mask, expected)
    windowed = block_causal_mask(torch.tensor([[0, 0, 0, 0]]), sliding_window=2)[0, 0]
    assert windowed.sum(-1).tolist() == [1, 2, 2, 2]


def test_rows_of_one_example_without_padding_need_no_mask(llama):
    batch = make_batch([Row((1,))], EXAMPLES, pad_id=0)
    assert attention_mask_for(llama.config, batch) is None
