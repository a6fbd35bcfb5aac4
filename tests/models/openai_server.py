"""A small OpenAI-compatible chat completions server over a local causal LM, for testing the
OpenAI judge backend against a real HTTP server process (not a mock of the client).

    python tests/models/openai_server.py --model FOLDER --port 8011 [--fail-first 2]

It answers ``POST /v1/chat/completions`` (greedy, or sampled with ``temperature`` > 0, ``n`` and
``seed``; ``logprobs`` / ``top_logprobs`` supported) and
``GET /stats`` (requests seen). ``--fail-first N`` answers the first N completions with 503 and
Retry-After, to exercise retries.
"""

from __future__ import annotations

import argparse
import threading
import time

import torch
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def build_app(model_path: str, fail_first: int = 0) -> FastAPI:
    from rewardkit.models.judges.backends import TransformersBackend

    backend = TransformersBackend(model_path, batch_size=1)
    tok, model = backend.tokenizer, backend.model
    lock = threading.Lock()
    stats = {"requests": 0, "failed": 0, "completions": 0}
    app = FastAPI()

    @app.get("/stats")
    def get_stats() -> dict:
        return stats

    @app.post("/v1/chat/completions")
    async def complete(request: Request):
        body = await request.json()
        with lock:
            stats["requests"] += 1
            if stats["failed"] < fail_first:
                stats["failed"] += 1
                return JSONResponse({"error": {"message": "overloaded", "type": "server_error"}}, status_code=503,
                                    headers={"Retry-After": "0"})
        ids = backend.encode(backend.render(body["messages"]))
        temperature, n = float(body.get("temperature") or 0.0), int(body.get("n") or 1)
        if temperature > 0:  # sampled: n choices, seeded
            with lock:
                stats["completions"] += 1
                texts = backend.sample([body["messages"]], int(body.get("max_tokens") or 16), n, temperature, int(body.get("seed") or 0))[0]
            choices = [{"index": j, "message": {"role": "assistant", "content": t}, "finish_reason": "stop", "logprobs": None}
                       for j, t in enumerate(texts)]
            return {"id": f"cmpl-{stats['completions']}", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", "local"), "choices": choices,
                    "usage": {"prompt_tokens": len(ids), "completion_tokens": 0, "total_tokens": len(ids)}}
        with lock, torch.inference_mode():
            out = model.generate(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                 max_new_tokens=int(body.get("max_tokens") or 16), do_sample=False, temperature=None,
                                 top_p=None, top_k=None, pad_token_id=backend.pad_id, output_scores=True,
                                 return_dict_in_generate=True)
            stats["completions"] += 1
        new = out.sequences[0, len(ids):].tolist()
        text = tok.decode(new, skip_special_tokens=True)
        choice = {"index": 0, "message": {"role": "assistant", "content": text},
                  "finish_reason": "length" if len(new) >= int(body.get("max_tokens") or 16) else "stop", "logprobs": None}
        if body.get("logprobs"):
            k = int(body.get("top_logprobs") or 1)
            content = []
            for token, scores in zip(new, out.scores):
                logp = torch.log_softmax(scores[0].float(), -1)
                top = torch.topk(logp, k)
                content.append({"token": tok.decode([token]), "logprob": logp[token].item(), "bytes": None,
                                "top_logprobs": [{"token": tok.decode([int(t)]), "logprob": v.item(), "bytes": None}
                                                 for v, t in zip(top.values, top.indices)]})
            choice["logprobs"] = {"content": content}
        return {"id": f"cmpl-{stats['completions']}", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", "local"), "choices": [choice],
                "usage": {"prompt_tokens": len(ids), "completion_tokens": len(new), "total_tokens": len(ids) + len(new)}}

    return app


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    args = ap.parse_args()
    uvicorn.run(build_app(args.model, args.fail_first), host="127.0.0.1", port=args.port, log_level="warning")
