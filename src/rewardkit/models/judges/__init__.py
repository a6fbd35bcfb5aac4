"""Generative judges: templates as data, robust verdicts, both orders, logprob verdicts, any backend.

    judge = load_judge("smollm2", "skywork-critic", mode="logprob")
    verdicts = judge.judge([(prompt_messages, answer_1, answer_2), ...])

Model specs: a causal LM folder, hub id or ``smollm2`` (transformers); ``llama-cpp:PATH_OR_NAME``
(llama-cpp-python); ``openai:MODEL@BASE_URL`` (an OpenAI-compatible server). In ``rewardkit
eval``, a judge is ``judge:TEMPLATE:MODEL``, e.g. ``judge:skywork-critic:smollm2``.
"""

from __future__ import annotations

from typing import Any

from rewardkit.errors import RewardkitError
from rewardkit.models.judges.judge import MODES, ORDERS, GenerativeJudge, combine, position_stats
from rewardkit.models.judges.templates import JudgeTemplate, builtin_templates, load_template

__all__ = ["MODES", "ORDERS", "GenerativeJudge", "JudgeTemplate", "builtin_templates", "combine", "load_backend",
           "load_judge", "load_template", "parse_judge_spec", "position_stats"]


def load_backend(model: str, *, batch_size: int = 8, bf16: bool | None = None, api_key: str | None = None,
                 concurrency: int = 8, timeout: float = 120.0, max_retries: int = 5, max_length: int | None = None,
                 dtype: str = "auto", device_map: str | None = None, attn_implementation: str | None = None,
                 trust_remote_code: bool = False) -> Any:
    """The backend a model spec names (see the module docstring). Loading options (dtype,
    device_map, attn_implementation, trust_remote_code, bf16) apply to local transformers models."""
    if model.startswith("openai:"):
        from rewardkit.models.judges.backends import OpenAIBackend

        name, sep, url = model[len("openai:"):].rpartition("@")
        if not sep or not name or not url:
            raise RewardkitError(f"bad OpenAI judge spec {model!r}; use openai:MODEL@BASE_URL, e.g. openai:gpt-4o@https://api.openai.com/v1")
        return OpenAIBackend(name, url, api_key=api_key, concurrency=concurrency, timeout=timeout, max_retries=max_retries)
    if model.startswith("llama-cpp:"):
        from rewardkit.models.judges.backends import LlamaCppBackend

        return LlamaCppBackend(model[len("llama-cpp:"):])
    from rewardkit.models.judges.backends import TransformersBackend

    from rewardkit.models.loading import LoadOptions

    options = LoadOptions(dtype=dtype, device_map=device_map, attn_implementation=attn_implementation,
                          trust_remote_code=trust_remote_code, bf16=bf16)
    return TransformersBackend(model, batch_size=batch_size, max_length=max_length, options=options)


def load_judge(model: str, template: str, *, mode: str = "generate", orders: str = "both", verdict: str | None = None,
               seed: int = 0, cache: Any = None, max_new_tokens: int | None = None, **backend_options: Any) -> GenerativeJudge:
    tpl = load_template(template, verdict=verdict)
    return GenerativeJudge(load_backend(model, **backend_options), tpl, mode=mode, orders=orders, seed=seed, cache=cache,
                           max_new_tokens=max_new_tokens)


def parse_judge_spec(spec: str) -> tuple[str, str]:
    """``judge:TEMPLATE:MODEL`` -> (template, model)."""
    parts = spec.split(":", 2)
    if len(parts) != 3 or parts[0] != "judge" or not parts[1] or not parts[2]:
        raise RewardkitError(f"bad judge spec {spec!r}; use judge:TEMPLATE:MODEL, e.g. judge:skywork-critic:smollm2")
    return parts[1], parts[2]
