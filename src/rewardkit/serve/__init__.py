"""Serving rewards over HTTP to RLHF trainers (`rewardkit serve`).

* `config.ServeConfig`: every setting, typed and checked.
* `batcher.DynamicBatcher`: requests from concurrent clients share one bounded queue; a worker
  thread takes what is waiting (up to a token budget, waiting a few milliseconds for more),
  scores it in length-sorted batches, and hands each request its own results.
* `app.build_app`: the FastAPI app: OpenRLHF's ``POST /get_reward``, ``POST /v1/score``,
  ``POST /v1/judge``, ``GET /health``, ``GET /v1/models`` and ``GET /metrics`` (Prometheus).
* `client.RewardClient`: a small client with the same batching, honouring 503 Retry-After.
"""
