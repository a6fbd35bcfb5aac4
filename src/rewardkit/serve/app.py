"""The reward server's FastAPI app: `build_app(model, config)`.

| endpoint | request | answer |
|---|---|---|
| ``POST /get_reward`` | OpenRLHF's remote-RM body: ``{"query": [str], "prompts": [str]?, "labels": [...]?}``, each query the whole decoded prompt + response | ``{"rewards": [float], "scores": [float], "extra_logs": {...}}`` |
| ``POST /v1/score`` | ``{"conversations": [[{"role", "content"}, ...]]}``, each ending with the assistant turn to score | ``{"rewards": [float], "truncated": int}`` |
| ``POST /v1/judge`` | ``{"pairs": [{"prompt": str or messages, "first": str, "second": str}]}`` | ``{"verdicts": [{"winner", "prob_first", "orders"}]}`` |
| ``GET /health`` | | ``{"status": "ok"}`` (no key needed) |
| ``GET /v1/models`` | | what is loaded, with its manifest and loading options |
| ``GET /metrics`` | | Prometheus text: requests, errors, batch sizes, queue depth, latency |

Decoder reward models score an OpenRLHF query as it is (pad tokens stripped, no second BOS); a
given ``prompts[i]`` must be the start of ``query[i]``. Encoder models and baselines need
``prompts`` to split the response off the prompt. Sizes are bounded (413 naming the item), bad
bodies get 422, a full queue gets 503 with Retry-After, and no answer carries a traceback.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import math
import os
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from rewardkit.data.schema import Message
from rewardkit.serve.batcher import DynamicBatcher, QueueFull
from rewardkit.serve.config import ServeConfig


ENDPOINTS = frozenset({"/get_reward", "/v1/score", "/v1/judge", "/health", "/v1/models", "/metrics"})


class _Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class GetRewardRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    query: list[str]
    prompts: list[str] | None = None
    labels: list[Any] | None = None


class ScoreRequest(BaseModel):
    conversations: list[list[_Message]]


class _Pair(BaseModel):
    prompt: str | list[_Message]
    first: str
    second: str


class JudgeRequest(BaseModel):
    pairs: list[_Pair]


class ServedModel:
    """What the app serves: a `RewardScorer` (scored through the batcher) or a `PairwiseJudge`."""

    def __init__(self, model: Any, config: ServeConfig) -> None:
        from rewardkit.models.classifier import ClassifierScorer

        self.model = model
        self.config = config
        self.kind = "reward-model" if hasattr(model, "score") else "judge"
        self.classifier = isinstance(model, ClassifierScorer)
        self.lock = threading.Lock()  # judges run one request at a time

    def run(self, items: list[tuple[str, Any]]) -> list[tuple[float, bool]]:
        """(reward, truncated) of each item, ``("text", str)`` or ``("conv", (prompt, response))``.

        Items are encoded here, in the worker thread, not in the request handlers: encoding
        while a forward pass runs would put the tokenizer's threads beside torch's on the same
        cores, and on a small CPU that oversubscription costs more than the encoding itself."""
        if not self.classifier:
            return [(v, False) for v in self.model.score([conv for _, conv in items])]
        texts = [i for i, (kind, _) in enumerate(items) if kind == "text"]
        convs = [i for i, (kind, _) in enumerate(items) if kind == "conv"]
        encoded: list[Any] = [None] * len(items)
        for idx, enc in ((texts, self.model.encode_texts), (convs, self.model.encode)):
            if idx:
                for i, e in zip(idx, enc([items[i][1] for i in idx])):
                    encoded[i] = e
        values = self.model.score_encoded(encoded, max_batch_tokens=self.forward_tokens)
        return [(v, e.truncated) for v, e in zip(values, encoded)]

    @property
    def forward_tokens(self) -> int | None:
        """Padded tokens per forward pass: the server's setting, else the scorer's own default."""
        return self.config.max_batch_tokens or getattr(self.model, "max_batch_tokens", None)

    @staticmethod
    def _estimate(text: str) -> int:
        return len(text) // 4 + 1  # tokens, roughly: only to decide how much the worker takes at once

    def conversations(self, convs: list[tuple[list[Message], str]]) -> tuple[list[Any], int]:
        """(items, token estimate)."""
        return [("conv", c) for c in convs], sum(self._estimate(r + "".join(m.content for m in p)) for p, r in convs)

    def queries(self, queries: list[str], prompts: list[str] | None) -> tuple[list[Any], int]:
        if prompts is not None:
            for i, (q, p) in enumerate(zip(queries, prompts)):
                if not q.startswith(p):
                    raise HTTPException(422, f"prompts[{i}] is not the start of query[{i}]")
        if self.classifier and self.model.is_decoder:
            return [("text", q) for q in queries], sum(self._estimate(q) for q in queries)
        if prompts is None:
            raise HTTPException(422, "this model scores a (prompt, response) pair: send `prompts` so that the response "
                                     "can be split off each query")
        return self.conversations([([Message("user", p)], q[len(p):]) for q, p in zip(queries, prompts)])


def _check_sizes(texts: list[str], name: str, config: ServeConfig) -> None:
    if len(texts) > config.max_items:
        raise HTTPException(413, f"{len(texts)} items in {name}; at most {config.max_items} per request")
    for i, t in enumerate(texts):
        if len(t) > config.max_chars:
            raise HTTPException(413, f"{name}[{i}] has {len(t):,} characters; at most {config.max_chars:,}")


class _Metrics:
    """Counts requests by endpoint and status, and their latency. A plain ASGI middleware: the
    decorator kind wraps `receive` and hides a client's disconnect from the endpoint."""

    def __init__(self, app: Any, metrics: dict[str, Any]) -> None:
        self.app = app
        self.m = metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}  # unless a response starts: an exception becomes a 500 without a traceback

        async def send_status(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            endpoint = scope.get("path", "")
            endpoint = endpoint if endpoint in ENDPOINTS else "other"  # bounded label values, whatever clients ask for
            self.m["requests"].labels(endpoint, str(status["code"])).inc()
            if status["code"] >= 400:
                self.m["errors"].labels(endpoint).inc()
            self.m["latency"].labels(endpoint).observe(time.perf_counter() - started)


def _metrics():  # noqa: ANN202 - prometheus objects
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    registry = CollectorRegistry()
    return registry, {
        "requests": Counter("rewardkit_requests", "Requests by endpoint and status", ["endpoint", "status"], registry=registry),
        "errors": Counter("rewardkit_errors", "Requests that failed (4xx/5xx) by endpoint", ["endpoint"], registry=registry),
        "items": Counter("rewardkit_items", "Items scored", registry=registry),
        "batch": Histogram("rewardkit_batch_size", "Sequences per scoring call", buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
                           registry=registry),
        "queue": Gauge("rewardkit_queue_depth", "Sequences waiting", registry=registry),
        "latency": Histogram("rewardkit_request_seconds", "Request latency by endpoint", ["endpoint"], registry=registry),
    }


def build_app(model: Any, config: ServeConfig, *, manifest: dict[str, Any] | None = None) -> FastAPI:
    """The app serving `model` (a loaded scorer or judge) with `config`'s limits."""
    served = ServedModel(model, config)
    registry, m = _metrics()
    # the worker gathers a few forward passes' worth at once, so that sorting by length across
    # requests leaves little padding
    gather = 4 * (served.forward_tokens or 16384)
    batcher = DynamicBatcher(served.run, max_batch_tokens=gather, max_wait_ms=config.max_wait_ms,
                             max_queue=config.max_queue, on_batch=m["batch"].observe) if served.kind == "reward-model" else None
    if batcher is not None:
        m["queue"].set_function(lambda: batcher.depth)
    key = os.environ.get(config.api_key_env) if config.api_key_env else None
    if config.api_key_env and not key:
        from rewardkit.errors import RewardkitError

        raise RewardkitError(f"--api-key-env {config.api_key_env}: the variable is not set or empty")

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        yield
        if batcher is not None:  # uvicorn has let in-flight requests finish; drain what is queued
            await run_in_threadpool(batcher.close)

    app = FastAPI(title="rewardkit", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.batcher = batcher

    def authorize(request: Request) -> None:
        if key is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), key.encode()):
            raise HTTPException(401, "missing or wrong API key (Authorization: Bearer KEY)", headers={"WWW-Authenticate": "Bearer"})

    auth = [Depends(authorize)]

    app.add_middleware(_Metrics, metrics=m)

    async def scored(request: Request, items: list[Any], tokens: int) -> tuple[list[float], int]:
        if batcher is None:
            raise HTTPException(400, "this model is a judge: it compares pairs; use POST /v1/judge")
        if len(items) > config.max_queue:
            raise HTTPException(413, f"{len(items)} items can never fit the queue of {config.max_queue}")
        try:
            job = batcher.submit(items, tokens)
        except QueueFull as e:
            raise HTTPException(503, f"busy: {e}; retry", headers={"Retry-After": str(config.retry_after)}) from None
        future = asyncio.wrap_future(job.future)
        deadline = time.monotonic() + config.request_timeout
        while True:
            done, _ = await asyncio.wait({future}, timeout=0.25)
            if done:
                break
            if await request.is_disconnected():
                job.cancelled.set()  # the worker drops it unscored
                raise HTTPException(499, "client disconnected")
            if time.monotonic() > deadline:
                job.cancelled.set()
                raise HTTPException(503, "timed out waiting in the queue", headers={"Retry-After": str(config.retry_after)})
        results = future.result()
        m["items"].inc(len(results))
        return [v for v, _ in results], sum(t for _, t in results)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "model": config.model, "kind": served.kind}

    @app.get("/v1/models", dependencies=auth)
    def models() -> dict[str, Any]:
        loading = getattr(model, "load_options", None) or getattr(getattr(model, "backend", None), "load_options", None)
        return {"object": "list", "data": [{"id": config.model, "object": "model", "kind": served.kind, "loading": loading,
                                            "manifest": manifest, "limits": {k: v for k, v in config.to_dict().items()
                                                                             if k.startswith("max_")}}]}

    @app.get("/metrics", dependencies=auth)
    def metrics() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.post("/get_reward", dependencies=auth)
    async def get_reward(body: GetRewardRequest, request: Request) -> dict[str, Any]:
        _check_sizes(body.query, "query", config)
        if body.prompts is not None:
            if len(body.prompts) != len(body.query):
                raise HTTPException(422, f"{len(body.prompts)} prompts for {len(body.query)} queries")
            _check_sizes(body.prompts, "prompts", config)
        items, tokens = served.queries(body.query, body.prompts)
        rewards, truncated = await scored(request, items, tokens)
        return {"rewards": rewards, "scores": rewards, "extra_logs": {"truncated": truncated}}

    @app.post("/v1/score", dependencies=auth)
    async def score(body: ScoreRequest, request: Request) -> dict[str, Any]:
        convs = []
        for i, conv in enumerate(body.conversations):
            if len(conv) < 2 or conv[-1].role != "assistant" or conv[-2].role != "user":
                raise HTTPException(422, f"conversations[{i}] must end with a user turn and the assistant turn to score")
            convs.append(([Message(x.role, x.content) for x in conv[:-1]], conv[-1].content))
        _check_sizes([c[1] + "".join(x.content for x in c[0]) for c in convs], "conversations", config)
        items, tokens = served.conversations(convs)
        rewards, truncated = await scored(request, items, tokens)
        return {"rewards": rewards, "truncated": truncated}

    @app.post("/v1/judge", dependencies=auth)
    async def judge(body: JudgeRequest, request: Request) -> dict[str, Any]:
        pairs = [([Message("user", p.prompt)] if isinstance(p.prompt, str) else [Message(x.role, x.content) for x in p.prompt],
                  p.first, p.second) for p in body.pairs]
        _check_sizes([a + b for _, a, b in pairs], "pairs", config)
        if served.kind == "reward-model":  # a scalar RM compares its two rewards; the order cannot matter
            items, tokens = served.conversations([(p, a) for p, a, _ in pairs] + [(p, b) for p, _, b in pairs])
            values, _ = await scored(request, items, tokens)
            n = len(pairs)
            logit = getattr(model, "margin_is_logit", False)
            return {"verdicts": [{"winner": "first" if a > b else "second" if b > a else "tie",
                                  "prob_first": 1 / (1 + math.exp(-(a - b))) if logit else None, "rewards": [a, b]}
                                 for a, b in zip(values[:n], values[n:])]}

        def run_judge() -> list[Any]:
            with served.lock:
                return model.judge(pairs)

        verdicts = await run_in_threadpool(run_judge)
        return {"verdicts": [{"winner": v.winner, "prob_first": v.prob_first,
                              "orders": [{"winner": o.winner, "prob_first": o.prob_first} for o in v.orders] if v.orders else None}
                             for v in verdicts]}

    return app


def load_manifest(spec: str) -> dict[str, Any] | None:
    path = Path(spec) / "manifest.json"
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
    return None
