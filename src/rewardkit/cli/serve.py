"""`rewardkit serve`: rewards over HTTP for RLHF trainers (OpenRLHF's /get_reward and more)."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from rewardkit.cli.options import (
    AttnOption,
    Bf16Option,
    DeviceMapOption,
    DtypeOption,
    RemoteCodeOption,
    UNTRAINED_HELP,
    load_options,
)


def serve(
    model: str = typer.Option(..., help="A trained folder, hub id, length/shortest/random/relevance, the verifiers exec:LANG (python, javascript, cpp, java) and calc, ensemble:A,B@W, linear:DIR (scorers), judge:TEMPLATE:MODEL or tree:DIR (judges)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (a public one without --api-key-env warns)."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port."),
    api_key_env: Optional[str] = typer.Option(None, "--api-key-env", help="Variable holding the API key; then every endpoint but /health needs 'Authorization: Bearer KEY'."),
    batch_size: int = typer.Option(32, min=1, help="Sequences per forward pass at most."),
    max_batch_tokens: Optional[int] = typer.Option(None, min=1, help="Padded tokens per forward pass at most (default: 4,096 on a CPU, unbounded on a GPU)."),
    max_wait_ms: float = typer.Option(5.0, min=0.0, help="How long to wait for more requests before scoring."),
    max_queue: int = typer.Option(4096, min=1, help="Sequences waiting at most; beyond, 503 with Retry-After."),
    max_items: int = typer.Option(1024, min=1, help="Items per request at most (413 beyond)."),
    max_chars: int = typer.Option(200_000, min=1, help="Characters per item at most (413 beyond)."),
    max_length: Optional[int] = typer.Option(None, min=8, help="Tokens per item; longer ones are truncated and counted (default: the model's)."),
    dtype: DtypeOption = "auto",
    device_map: DeviceMapOption = None,
    attn_implementation: AttnOption = None,
    trust_remote_code: RemoteCodeOption = False,
    bf16: Bf16Option = None,
    judge_mode: str = typer.Option("logprob", "--judge-mode", help="For judges: logprob or generate."),
    allow_untrained_head: bool = typer.Option(False, "--allow-untrained-head", help=UNTRAINED_HELP),
) -> None:
    """Serve a reward model or judge over HTTP (OpenRLHF's remote-RM protocol, plus /v1/score and /v1/judge)."""
    import uvicorn

    from rewardkit.serve.app import build_app, load_manifest
    from rewardkit.serve.config import ServeConfig

    options = load_options(dtype, device_map, attn_implementation, trust_remote_code, bf16)
    config = ServeConfig(model=model, host=host, port=port, api_key_env=api_key_env, batch_size=batch_size,
                         max_batch_tokens=max_batch_tokens, max_wait_ms=max_wait_ms, max_queue=max_queue, max_items=max_items,
                         max_chars=max_chars, max_length=max_length)
    if config.public and not api_key_env:
        print(f"warning: serving on {host} without an API key: anyone who can reach this address can use it "
              "(--api-key-env NAME requires a key)", file=sys.stderr)
    served = load_served(model, config, options, judge_mode, allow_untrained_head=allow_untrained_head)
    app = build_app(served, config, manifest=load_manifest(model))
    print(f"serving {model} on http://{host}:{port} (POST /get_reward, /v1/score, /v1/judge; GET /health, /v1/models, /metrics)",
          file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=30)


def load_served(model: str, config, options, judge_mode: str = "logprob", allow_untrained_head: bool = False):  # noqa: ANN001, ANN201
    """The scorer or judge a spec names, loaded with the server's options (judges in both orders)."""
    from rewardkit.models.registry import load_model

    return load_model(model, judge_mode=judge_mode, judge_orders="both", batch_size=config.batch_size,
                      max_length=config.max_length, allow_untrained_head=allow_untrained_head, **vars(options))
