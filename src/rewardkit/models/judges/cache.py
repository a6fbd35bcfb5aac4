"""A persistent response cache for judges (and scorers, `rewardkit.models.cached`), keyed by (model, template, mode, input).

SQLite (one file, atomic commits, safe across threads behind a lock). Each answer is committed
as soon as it arrives, so an interrupted run resumes without asking again for what it already has.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from rewardkit.errors import RewardkitError


def cache_key(model: str, template: str, mode: str, chat: Any, extra: Any = None) -> str:
    payload = json.dumps([model, template, mode, chat, extra], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._db.commit()
        except (OSError, sqlite3.Error) as e:
            raise RewardkitError(f"{self.path}: cannot use it as a cache ({e}); give a new path or a cache file rewardkit made") from None
        self.hits = 0
        self.misses = 0

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                rows = self._db.execute(
                    f"SELECT key, value FROM responses WHERE key IN ({','.join('?' * len(chunk))})", chunk
                ).fetchall()
                found.update((k, json.loads(v)) for k, v in rows)
        self.hits += len(found)
        self.misses += len(set(keys)) - len(found)
        return found

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?)", (key, json.dumps(value, ensure_ascii=False)))
            self._db.commit()

    def put_many(self, items: list[tuple[str, Any]]) -> None:
        """Many (key, value) rows in one commit."""
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?)",
                                 [(k, json.dumps(v, ensure_ascii=False)) for k, v in items])
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
