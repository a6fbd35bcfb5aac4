import numpy as np
import torch

from rewardkit.train.data import EncodedPairs, LengthGroupedPairSampler, PairCollator


def test_sampler_is_a_permutation_grouped_by_length():
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 500, size=1000).tolist()
    sampler = LengthGroupedPairSampler(lengths, global_batch=16, seed=1, mega=8)
    order = sampler.order()
    assert sorted(order) == list(range(1000))
    batches = [order[i : i + 16] for i in range(0, 1000, 16)]
    assert max(lengths[i] for i in batches[0]) == max(lengths)  # longest batch first
    # within a batch lengths are close: padding far below a random batch's
    def waste(bs):
        return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in bs)
    rand = rng.permutation(1000).tolist()
    assert waste(batches) < 0.2 * waste([rand[i : i + 16] for i in range(0, 1000, 16)])


def test_sampler_order_depends_on_seed_epoch_and_global_batch_only():
    lengths = list(range(100))
    a = LengthGroupedPairSampler(lengths, 8, seed=3)
    assert a.order() == LengthGroupedPairSampler(lengths, 8, seed=3).order()
    first = a.order()
    a.set_epoch(1)
    assert a.order() != first and sorted(a.order()) == lengths
    assert LengthGroupedPairSampler(lengths, 8, seed=4).order() != first


def test_collator_puts_chosen_then_rejected_and_pads_right():
    items = [
        {"chosen": np.array([1, 2, 3]), "rejected": np.array([1, 2]), "margin": 0.5},
        {"chosen": np.array([4]), "rejected": np.array([5, 6, 7, 8]), "margin": 0.0},
    ]
    batch = PairCollator(pad_token_id=0)(items)
    assert batch["input_ids"].tolist() == [[1, 2, 3, 0], [4, 0, 0, 0], [1, 2, 0, 0], [5, 6, 7, 8]]
    assert batch["attention_mask"].sum(1).tolist() == [3, 1, 2, 4]
    assert torch.equal(batch["margin"], torch.tensor([0.5, 0.0]))
    assert "token_type_ids" not in batch


def test_spread_takes_evenly_spaced_pairs_in_order():
    enc = EncodedPairs([np.array([i]) for i in range(10)], [np.array([-i]) for i in range(10)],
                       margins=[float(i) for i in range(10)], ids=[f"p{i}" for i in range(10)])
    four = enc.spread(4)  # i * 10 // 4 for i = 0..3
    assert four.ids == ["p0", "p2", "p5", "p7"] and four.margins == [0.0, 2.0, 5.0, 7.0]
    assert [int(c[0]) for c in four.chosen] == [0, 2, 5, 7] and [int(r[0]) for r in four.rejected] == [0, -2, -5, -7]
    assert enc.spread(10).ids == enc.spread(50).ids == [f"p{i}" for i in range(10)]  # no more than n: all
    typed = EncodedPairs(enc.chosen, enc.rejected, [np.array([7 + i]) for i in range(10)], [np.array([i]) for i in range(10)],
                         enc.margins, enc.ids)
    assert [int(t[0]) for t in typed.spread(2).chosen_types] == [7, 12]  # indices 0 and 5
