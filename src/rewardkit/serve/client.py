"""`RewardClient`: call a `rewardkit serve` server (or any server speaking OpenRLHF's protocol).

    client = RewardClient("http://127.0.0.1:8000", api_key=os.environ.get("RM_KEY"))
    rewards = client.get_reward(queries, prompts)          # OpenRLHF's /get_reward
    rewards = client.score([[{"role": "user", ...}, {"role": "assistant", ...}], ...])
    wait_for_health("http://127.0.0.1:8000", proc)       # after starting `rewardkit serve` as a process

Requests are cut into batches of `batch_size` items. A 503 is retried after its Retry-After (or
an exponential backoff), as are refused connections, up to `max_retries` times; any other
error raises `ServerError` with the server's message.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any


class ServerError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class RewardClient:
    def __init__(self, url: str, *, api_key: str | None = None, batch_size: int = 64, max_retries: int = 5,
                 timeout: float = 180.0, backoff: float = 0.5) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.timeout = timeout
        self.backoff = backoff
        self.retries = 0  # how many retries this client has made (for reports and tests)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        for attempt in range(self.max_retries + 1):
            request = urllib.request.Request(self.url + path, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as e:
                detail = e.read().decode("utf-8", "replace")
                if e.code != 503 or attempt == self.max_retries:
                    try:
                        detail = json.loads(detail).get("detail", detail)
                    except (ValueError, AttributeError):
                        pass
                    raise ServerError(e.code, str(detail)) from None
                wait = float(e.headers.get("Retry-After") or self.backoff * 2**attempt)
            except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
                if attempt == self.max_retries:
                    raise ServerError(0, f"cannot reach {self.url}: {e}") from None
                wait = self.backoff * 2**attempt
            self.retries += 1
            time.sleep(wait)
        raise AssertionError("unreachable")

    def get_reward(self, queries: Sequence[str], prompts: Sequence[str] | None = None) -> list[float]:
        out: list[float] = []
        for start in range(0, len(queries), self.batch_size):
            body: dict[str, Any] = {"query": list(queries[start : start + self.batch_size])}
            if prompts is not None:
                body["prompts"] = list(prompts[start : start + self.batch_size])
            out += self._post("/get_reward", body)["rewards"]
        return out

    def score(self, conversations: Sequence[Sequence[dict[str, str]]]) -> list[float]:
        out: list[float] = []
        for start in range(0, len(conversations), self.batch_size):
            out += self._post("/v1/score", {"conversations": [list(c) for c in conversations[start : start + self.batch_size]]})["rewards"]
        return out

    def judge(self, pairs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for start in range(0, len(pairs), self.batch_size):
            out += self._post("/v1/judge", {"pairs": list(pairs[start : start + self.batch_size])})["verdicts"]
        return out


def wait_for_health(url: str, proc=None, timeout: float = 120) -> None:  # noqa: ANN001 - a Popen, if the server is one
    """Return once ``GET /health`` answers; fail if `proc` exits first or `timeout` passes."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/health", timeout=1).read()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}") from None
            time.sleep(0.05)
    raise RuntimeError("the server did not start")
