"""Embeddings of conversations by a frozen backbone, computed once per distinct text.

A text's key is the SHA-1 of the token ids the backbone reads (so the chat template, truncation
and tokenizer are part of it), and a model's key is a fingerprint of its config and weights, so
one cache file can hold several backbones and never mixes them up. The cache is SQLite: a killed
run keeps what it wrote, and a rerun computes only what is missing.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rewardkit.data.chat import Encoded
from rewardkit.models.protocols import Conversation

if TYPE_CHECKING:
    import torch

    from rewardkit.models.classifier import ClassifierScorer


def model_fingerprint(scorer: "ClassifierScorer", pooling: str) -> str:
    """Model identity for the cache: config, formatting, pooling and a digest of the backbone's weights.

    Only the backbone (``base_model``) is hashed: the embeddings never read the scalar head, and a
    hub encoder loaded as a sequence classifier gets a freshly initialised, random head on every
    load, which would make every run a cache miss."""
    if pooling == "auto":
        pooling = "last" if scorer.is_decoder else "mean"
    h = hashlib.sha1()
    config = scorer.model.config.to_dict()
    config.pop("_name_or_path", None)
    h.update(json.dumps(config, sort_keys=True, default=str).encode())
    h.update(f"{scorer.formatter.template}|{scorer.formatter.max_length}|{pooling}".encode())
    for name, param in scorer.model.base_model.named_parameters():  # weights change after training: hash a sample of every tensor
        flat = param.detach().reshape(-1)
        h.update(name.encode())
        h.update(flat[:: max(1, flat.numel() // 64)][:64].float().cpu().numpy().tobytes())
    return h.hexdigest()[:20]


def text_key(encoded: Encoded) -> str:
    h = hashlib.sha1(" ".join(map(str, encoded.input_ids)).encode())
    if encoded.token_type_ids is not None:
        h.update(b"|" + " ".join(map(str, encoded.token_type_ids)).encode())
    return h.hexdigest()


class EmbeddingCache:
    """Vectors by (model fingerprint, text key) in one SQLite file; float32 blobs."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute("CREATE TABLE IF NOT EXISTS embeddings (model TEXT, key TEXT, vector BLOB, PRIMARY KEY (model, key))")
        self._db.commit()

    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, vector FROM embeddings WHERE model = ? AND key IN ({marks})", [model, *chunk])
                found.update(rows.fetchall())
        return found

    def put_many(self, model: str, items: Sequence[tuple[str, bytes]]) -> None:
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", [(model, k, v) for k, v in items])
            self._db.commit()

    def close(self) -> None:
        self._db.close()


def embed_conversations(scorer: "ClassifierScorer", conversations: Sequence[Conversation], *, pooling: str = "auto",
                        cache: EmbeddingCache | None = None, fingerprint: str | None = None,
                        on_batch: Callable[[int], None] | None = None, stats: dict[str, int] | None = None) -> "torch.Tensor":
    """``[n, hidden]`` float32 embeddings in input order; each distinct text is run once, and
    texts already in `cache` are not run at all. `stats` counts texts, distinct, cached, computed
    and tokens (of all texts, as the backbone reads them)."""
    import numpy as np
    import torch

    encoded = scorer.encode(conversations)
    keys = [text_key(e) for e in encoded]
    distinct: dict[str, int] = {}
    for i, k in enumerate(keys):
        distinct.setdefault(k, i)
    model = fingerprint or model_fingerprint(scorer, pooling)
    stored = cache.get_many(model, list(distinct)) if cache is not None else {}
    missing = [k for k in distinct if k not in stored]
    vectors: dict[str, torch.Tensor] = {k: torch.from_numpy(np.frombuffer(v, dtype=np.float32).copy()) for k, v in stored.items()}
    if on_batch and len(keys) > len(missing):
        on_batch(len(keys) - len(missing))  # repeats and cached texts are done already: a progress bar over `texts` ends full
    chunk = 256  # written to the cache in chunks, so a killed run keeps most of its work
    for start in range(0, len(missing), chunk):
        part = missing[start : start + chunk]
        emb = scorer.embed_encoded([encoded[distinct[k]] for k in part], pooling, on_batch)
        if cache is not None:
            cache.put_many(model, [(k, emb[j].numpy().astype(np.float32).tobytes()) for j, k in enumerate(part)])
        vectors.update({k: emb[j] for j, k in enumerate(part)})
    if stats is not None:
        for name, value in (("texts", len(keys)), ("distinct", len(distinct)), ("cached", len(stored)), ("computed", len(missing)),
                            ("tokens", sum(len(e.input_ids) for e in encoded))):
            stats[name] = stats.get(name, 0) + value
    if not keys:
        return torch.zeros(0, int(scorer.model.config.hidden_size))
    return torch.stack([vectors[k] for k in keys])
