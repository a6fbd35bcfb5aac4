"""Training data for pairwise reward models: tokenized pairs, length grouping, padding.

Each pair is tokenized once, up front (`encode_pairs`), into two id arrays. A batch of B pairs
becomes one tensor of 2B sequences — the B chosen responses, then the B rejected ones — padded
only to the longest sequence in that batch (`PairCollator`), so the model runs one forward pass
per step. `LengthGroupedPairSampler` orders pairs so that each optimiser step's pairs have
similar lengths (little padding) while keeping the order random across steps.

The sampler's order depends only on the seed, the epoch and the *global* batch (pairs per
optimiser step over all processes), so one process with batch 2B and two processes with batch
B each see the same pairs in the same steps, and a resumed run sees the same order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from rewardkit.data.chat import ChatFormatter, pad_right
from rewardkit.data.schema import PreferencePair

ENCODE_CHUNK = 2048


@dataclass
class TruncationCounts:
    sequences: int = 0
    truncated: int = 0
    prompt_tokens_cut: int = 0
    response_tokens_cut: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass
class EncodedPairs:
    chosen: list[np.ndarray] = field(default_factory=list)
    rejected: list[np.ndarray] = field(default_factory=list)
    chosen_types: list[np.ndarray] | None = None
    rejected_types: list[np.ndarray] | None = None
    margins: list[float] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    truncation: TruncationCounts = field(default_factory=TruncationCounts)

    def spread(self, n: int) -> "EncodedPairs":
        """`n` pairs evenly spaced over the whole set, in order (all of them when there are no
        more than `n`): a sample of a file written source by source holds every source in its
        share. Truncation counts are not carried over."""
        k = len(self.chosen)
        picked = range(k) if k <= n else [i * k // n for i in range(n)]
        pick = lambda xs: [xs[i] for i in picked]  # noqa: E731
        types = (pick(self.chosen_types), pick(self.rejected_types)) if self.chosen_types is not None else (None, None)
        return EncodedPairs(pick(self.chosen), pick(self.rejected), *types, pick(self.margins), pick(self.ids))


def encode_pairs(pairs: Sequence[PreferencePair], formatter: ChatFormatter) -> EncodedPairs:
    """Tokenize every pair's two conversations (batched), keeping truncation counts."""
    out = EncodedPairs()
    for start in range(0, len(pairs), ENCODE_CHUNK):
        chunk = pairs[start : start + ENCODE_CHUNK]
        convs = [(p.prompt, p.chosen) for p in chunk] + [(p.prompt, p.rejected) for p in chunk]
        encoded = formatter.encode_batch(convs)
        n = len(chunk)
        for pair, c, r in zip(chunk, encoded[:n], encoded[n:]):
            out.chosen.append(np.asarray(c.input_ids, dtype=np.int32))
            out.rejected.append(np.asarray(r.input_ids, dtype=np.int32))
            if c.token_type_ids is not None:
                if out.chosen_types is None:
                    out.chosen_types, out.rejected_types = [], []
                out.chosen_types.append(np.asarray(c.token_type_ids, dtype=np.int8))
                out.rejected_types.append(np.asarray(r.token_type_ids, dtype=np.int8))
            out.margins.append(pair.margin if pair.margin is not None else 0.0)
            out.ids.append(pair.id)
        for e in encoded:
            t = out.truncation
            t.sequences += 1
            t.truncated += e.truncated
            t.prompt_tokens_cut += e.prompt_tokens_cut
            t.response_tokens_cut += e.response_tokens_cut
    return out


class PairDataset(Dataset):
    """Tokenized pairs; item i is a dict of numpy arrays for the collator."""

    def __init__(self, encoded: EncodedPairs) -> None:
        self.encoded = encoded
        self.lengths = [max(len(c), len(r)) for c, r in zip(encoded.chosen, encoded.rejected)]

    def __len__(self) -> int:
        return len(self.encoded.chosen)

    def __getitem__(self, i: int) -> dict[str, Any]:
        e = self.encoded
        item = {"chosen": e.chosen[i], "rejected": e.rejected[i], "margin": e.margins[i]}
        if e.chosen_types is not None:
            item["chosen_types"] = e.chosen_types[i]
            item["rejected_types"] = e.rejected_types[i]
        return item


@dataclass
class PairCollator:
    """Pads a list of pair items into one batch of 2B sequences (chosen first), right-padded."""

    pad_token_id: int

    def __call__(self, items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        seqs = [it["chosen"] for it in items] + [it["rejected"] for it in items]
        types = [it["chosen_types"] for it in items] + [it["rejected_types"] for it in items] if "chosen_types" in items[0] else None
        batch = pad_right(seqs, self.pad_token_id, types)
        batch["margin"] = torch.tensor([it["margin"] for it in items], dtype=torch.float32)
        return batch


class LengthGroupedPairSampler(Sampler[int]):
    """Random order, but each run of `global_batch` indices holds pairs of similar length.

    Shuffle all pairs (seeded by seed and epoch), cut the order into megabatches of
    ``mega * global_batch``, sort each megabatch by length (longest first), cut it into global
    batches, and shuffle the batches, except that the batch holding the longest pair goes first
    (an out-of-memory error shows at step one, not hours in).
    """

    def __init__(self, lengths: Sequence[int], global_batch: int, seed: int, mega: int = 32) -> None:
        self.lengths = np.asarray(lengths)
        self.global_batch = global_batch
        self.seed = seed
        self.mega = mega
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.lengths)

    def order(self) -> list[int]:
        rng = np.random.default_rng([self.seed, self.epoch])
        perm = rng.permutation(len(self.lengths))
        size = self.mega * self.global_batch
        batches: list[np.ndarray] = []
        for start in range(0, len(perm), size):
            mega = perm[start : start + size]
            mega = mega[np.argsort(-self.lengths[mega], kind="stable")]
            batches.extend(mega[i : i + self.global_batch] for i in range(0, len(mega), self.global_batch))
        full = [b for b in batches if len(b) == self.global_batch]
        tail = [b for b in batches if len(b) != self.global_batch]  # at most one short batch: keep it last
        picks = rng.permutation(len(full)).tolist()
        if full:
            longest = max(range(len(full)), key=lambda i: self.lengths[full[i]].max())
            picks.remove(longest)
            picks.insert(0, longest)
        return [int(i) for b in [full[j] for j in picks] + tail for i in b]

    def __iter__(self) -> Iterator[int]:
        return iter(self.order())
