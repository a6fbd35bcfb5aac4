"""Deduplication: exact duplicate pairs, and pairs whose prompt nearly duplicates another prompt.

* Exact: two pairs with the same prompt (roles and contents), chosen and rejected; the first is
  kept. The repeats a mixture `weight` above 1 makes (``meta.mixture_copy``) are not duplicates
  of their original: the N-th repeat of a pair is compared with N-th repeats only, so a weight
  survives deduplication while duplicates within a source are still removed, repeats included. Keys are 16-byte BLAKE2 digests, so memory is bounded by the number of distinct pairs,
  not their text.
* Near-duplicate prompts: prompts are compared by the Jaccard similarity of their word-shingle
  sets (shingles of `shingle` words over the normalised user turns), estimated with MinHash and
  found with LSH (`datasketch`). The first prompt of a group of near-duplicates represents it;
  pairs whose prompt is a *different* prompt at or above `threshold` similarity to an earlier
  representative are removed. Pairs sharing one prompt are not near-duplicates of each other
  (they are different responses to the same question), so they are kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rewardkit.curate.mixture import MIXTURE_COPY
from rewardkit.curate.report import StepReport
from rewardkit.curate.text import ngrams, prompt_key, user_texts, words
from rewardkit.data.schema import PreferencePair
from rewardkit.errors import MissingPackageError


def pair_digest(pair: PreferencePair) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for part in (prompt_key(pair), pair.chosen, pair.rejected, str(pair.meta.get(MIXTURE_COPY, 0))):
        h.update(part.encode("utf-8"))
        h.update(b"\x1d")
    return h.digest()


def shingles(text: str, size: int) -> set[bytes]:
    tokens = words(text)
    if len(tokens) < size:
        return {" ".join(tokens).encode()} if tokens else set()
    return {" ".join(g).encode() for g in ngrams(tokens, size)}


class NearDuplicateIndex:
    """MinHash-LSH over prompts: `representative(text)` is the earlier prompt it duplicates, or itself."""

    def __init__(self, threshold: float = 0.8, num_perm: int = 128, shingle: int = 3, seed: int = 1) -> None:
        try:
            from datasketch import MinHash, MinHashLSH
        except ImportError:
            raise MissingPackageError("near-duplicate detection needs datasketch: pip install datasketch") from None
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self._minhash = MinHash
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.num_perm, self.shingle, self.seed = num_perm, shingle, seed
        self.representatives: dict[str, str] = {}  # normalised prompt -> its representative's key
        self.threshold = threshold

    def representative(self, text: str) -> str:
        norm = " ".join(words(text))
        if norm in self.representatives:
            return self.representatives[norm]
        sh = shingles(text, self.shingle)
        m = self._minhash(num_perm=self.num_perm, seed=self.seed)
        m.update_batch(list(sh))
        hits = self.lsh.query(m) if sh else []
        if hits:
            rep = min(hits)  # deterministic when several representatives match
        else:
            rep = f"p{len(self.representatives)}"
            if sh:
                self.lsh.insert(rep, m)
        self.representatives[norm] = rep
        return rep


@dataclass
class DedupStep:
    """Remove exact duplicate pairs and (when `threshold` is set) pairs with near-duplicate prompts."""

    exact: bool = True
    threshold: float | None = 0.8
    shingle: int = 3
    num_perm: int = 128
    sample: int = 20
    name: str = field(default="dedup", init=False)

    def apply(self, pairs: Iterable[PreferencePair], report: StepReport) -> Iterator[PreferencePair]:
        seen: set[bytes] = set()
        near = NearDuplicateIndex(self.threshold, self.num_perm, self.shingle) if self.threshold is not None else None
        rep_text: dict[str, str] = {}
        dropped_prompts: dict[str, str] = {}
        for pair in pairs:
            report.saw(pair.source)
            if self.exact:
                digest = pair_digest(pair)
                if digest in seen:
                    report.remove("exact-duplicate", pair.source)
                    continue
                seen.add(digest)
            if near is not None:
                text = "\n".join(user_texts(pair))
                rep = near.representative(text)
                own = rep_text.setdefault(rep, text)
                if own != text and " ".join(words(own)) != " ".join(words(text)):
                    report.remove("near-duplicate-prompt", pair.source)
                    if len(dropped_prompts) < self.sample:
                        dropped_prompts.setdefault(text, own)
                    continue
            report.kept(pair.source)
            yield pair
        details: dict[str, Any] = {"distinct_pairs": len(seen)}
        if near is not None:
            details["distinct_prompts"] = len(near.representatives)
            details["prompt_groups"] = len(rep_text)
            details["samples"] = [{"removed_prompt": a[:300], "kept_prompt": b[:300]} for a, b in dropped_prompts.items()]
        report.details = details
