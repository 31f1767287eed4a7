"""The plan of every step, the learning-rate schedule and the Java generator they share with the djl runtime."""

import math

import pytest

from tuneforge_worker import plan as plans
from tuneforge_worker.data import IGNORE, Encoded
from tuneforge_worker.java_random import JavaRandom, java_long, long_hash
from tuneforge_worker.schedule import LrSchedule
from tuneforge_worker.spec import Hyperparameters


def examples(*lengths: int) -> list[Encoded]:
    return [Encoded(tuple(range(n)), tuple([IGNORE] + [7] * (n - 1))) for n in lengths]


def test_java_random_draws_what_java_util_random_draws():
    # printed by java.util.Random on OpenJDK 17 for these seeds
    r = JavaRandom(42 * 1_000_003 + 3)
    assert [(r.next_int(90), r.next_int(16), r.next_int(12)) for _ in range(5)] == [
        (79, 0, 8), (13, 1, 10), (13, 11, 9), (40, 0, 0), (31, 14, 7)]
    order = list(range(20))
    JavaRandom(-7 * 1_000_003 + 1).shuffle(order)
    assert order == [7, 10, 0, 12, 5, 19, 1, 16, 8, 2, 9, 15, 4, 13, 14, 6, 11, 3, 18, 17]
    assert long_hash(5 * 1_000_003 + 7 * 1_009 + 1) == 5007079
    assert long_hash(-123456789012345) == -2045923536
    assert java_long(2**63) == -(2**63)


def test_each_epoch_shuffles_with_its_own_seed_and_covers_every_example_once():
    hp = Hyperparameters(epochs=3, batch_size=2, gradient_accumulation_steps=2, seed=9)
    p = plans.build(examples(*[5] * 10), hp)
    by_epoch = {}
    for step in p.steps:
        by_epoch.setdefault(step.epoch, []).extend(i for row in step.rows for i in row.examples)
    assert sorted(by_epoch) == [0, 1, 2]
    assert all(sorted(order) == list(range(10)) for order in by_epoch.values())
    assert len({tuple(order) for order in by_epoch.values()}) == 3
    expected = list(range(10))
    JavaRandom(9 * 1_000_003 + 1).shuffle(expected)
    assert by_epoch[1] == expected
    # 10 rows, micro-batches of 2, steps of 2 micro-batches: 3 steps an epoch, the last one short
    assert [len(s.micro_batches) for s in p.steps[:3]] == [2, 2, 1]
    assert [s.epoch_progress for s in p.steps[:3]] == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_packing_is_greedy_in_order():
    rows = plans.pack([0, 1, 2, 3, 4], examples(4, 3, 5, 2, 6), max_seq_length=8)
    assert [r.examples for r in rows] == [(0, 1), (2, 3), (4,)]


def test_max_steps_cycles_through_epochs():
    p = plans.build(examples(*[3] * 5), Hyperparameters(epochs=1, max_steps=7, batch_size=2))
    assert len(p) == 7
    assert [s.epoch for s in p.steps] == [0, 0, 0, 1, 1, 1, 2]


def test_the_fingerprint_names_data_and_batching_but_not_the_run_length():
    data = examples(4, 5, 6)
    base = plans.build(data, Hyperparameters(epochs=1)).fingerprint
    assert plans.build(data, Hyperparameters(epochs=5)).fingerprint == base
    assert plans.build(data, Hyperparameters(max_steps=40)).fingerprint == base
    for other in (Hyperparameters(batch_size=4), Hyperparameters(packing=True), Hyperparameters(seed=1),
                  Hyperparameters(gradient_accumulation_steps=2), Hyperparameters(max_seq_length=512)):
        assert plans.build(data, other).fingerprint != base
    assert plans.build(examples(4, 5, 7), Hyperparameters()).fingerprint != base


def test_the_fingerprint_is_the_djl_runtimes_digest():
    # the same bytes TrainingPlan.fingerprint hashes: Long.toString of each value, ',' ';' and List.toString
    import hashlib

    data = [Encoded((1, 2), (2, IGNORE))]
    expected = hashlib.sha256(b"1,2,2,-100,;[8, 1, false, 1024, 42]").hexdigest()
    assert plans.build(data, Hyperparameters()).fingerprint == expected


def test_warmup_starts_at_zero_and_each_schedule_decays_as_transformers_does():
    linear = LrSchedule("linear", 1.0, warmup=2, total=10)
    assert [linear.at(s) for s in range(3)] == [0.0, 0.5, 1.0]
    assert linear.at(6) == pytest.approx(0.5) and linear.at(10) == 0.0
    cosine = LrSchedule("cosine", 2.0, warmup=0, total=4)
    assert [cosine.at(s) for s in range(4)] == pytest.approx(
        [2.0 * 0.5 * (1 + math.cos(math.pi * s / 4)) for s in range(4)])
    constant = LrSchedule("constant", 0.3, warmup=3, total=9)
    assert constant.at(1) == pytest.approx(0.1) and constant.at(8) == 0.3
