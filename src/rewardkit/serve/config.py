"""`ServeConfig`: the settings of `rewardkit serve`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rewardkit.errors import RewardkitError


@dataclass
class ServeConfig:
    """How the reward server runs.

    Attributes:
        model: any spec ``rewardkit eval`` takes: a trained folder, a hub id, ``length``, a judge
            ``judge:TEMPLATE:MODEL``.
        host, port: where to listen; 127.0.0.1 by default (binding a public address without an
            API key prints a warning).
        api_key_env: the environment variable holding the API key; when set, every endpoint but
            ``/health`` requires ``Authorization: Bearer KEY``.
        batch_size: sequences per forward pass at most.
        max_batch_tokens: padded tokens per forward pass at most (longest sequence x count); None:
            the scorer's default (4,096 on a CPU, where more buys nothing; unbounded on a GPU).
            The worker gathers up to 4x this from the queue at once.
        max_wait_ms: how long the worker waits for more requests before scoring what it has.
        max_queue: sequences waiting at most; a request that would overflow gets 503 + Retry-After.
        max_items: items per request at most (413 beyond).
        max_chars: characters per item at most (413 beyond, naming the item).
        max_length: tokens per item (longer ones are truncated, counted in ``extra_logs``); None:
            the model's.
        request_timeout: seconds a request waits for its scores before 503.
        retry_after: the Retry-After seconds sent with 503.
    """

    model: str
    host: str = "127.0.0.1"
    port: int = 8000
    api_key_env: str | None = None
    batch_size: int = 32
    max_batch_tokens: int | None = None
    max_wait_ms: float = 5.0
    max_queue: int = 4096
    max_items: int = 1024
    max_chars: int = 200_000
    max_length: int | None = None
    request_timeout: float = 170.0
    retry_after: int = 1

    def __post_init__(self) -> None:
        for name in ("batch_size", "max_batch_tokens", "max_queue", "max_items", "max_chars", "retry_after"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise RewardkitError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.port < 65536:
            raise RewardkitError(f"port must be in 1..65535, got {self.port}")
        if self.max_wait_ms < 0 or self.request_timeout <= 0:
            raise RewardkitError("max_wait_ms must be >= 0 and request_timeout > 0")
        if self.max_length is not None and self.max_length < 8:
            raise RewardkitError(f"max_length must be at least 8, got {self.max_length}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def public(self) -> bool:
        return self.host not in ("127.0.0.1", "localhost", "::1") and not self.host.startswith("127.")
