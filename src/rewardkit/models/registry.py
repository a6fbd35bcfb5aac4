"""Names to scorers, imported lazily: ``load_scorer(name_or_path)``.

| spec | scorer |
|---|---|
| ``length``, ``shortest`` | response length baselines |
| ``random`` or ``random:SEED`` | seeded random rewards |
| ``relevance`` or ``relevance:ENCODER`` | cosine similarity of the instruction's and the response's sentence embeddings (MiniLM by default; `rewardkit.models.relevance`) |
| ``loglik:LM``, ``pmi:LM`` (and ``-mean``) | a causal LM's log-probability of the response given the prompt, or its PMI with the prompt (`rewardkit.models.likelihood`) |
| ``exec:LANG`` | runs the response's code (``python``; ``javascript``, ``cpp``, ``java`` with node, g++, java on PATH) on the examples its prompt states: 2 * (fraction passed) - 1, or 0 when there is nothing to run (`rewardkit.models.execution`; runs model-written code) |
| ``calc`` | recomputes the response's written-out arithmetic (``a × b = c``): -1 when an equation is wrong, else 0 (`rewardkit.models.arithmetic`) |
| ``minilm``, ``smollm2`` | the embedded backbones with an untrained scalar head (refused unless ``allow_untrained_head=True``) |
| a folder or a hub id | a sequence-classifier reward model (e.g. one trained by ``rewardkit train rm``, or Skywork-Reward-Llama-3.1-8B-v0.2) |
| ``ensemble:A,B@W,...`` | the weighted mean of the members' rewards (any of the above; `rewardkit.models.ensemble`) |
| ``gated:GATE:MEMBER`` | MEMBER's reward times 1 - a prompt gate's P(safety-sensitive) (`rewardkit.models.gate`; a folder from ``rewardkit train gate``) |
| ``hinge:TAU:MEMBER`` | MEMBER's shortfall below TAU, min(0, reward - TAU) (`rewardkit.models.hinge`) |

`load_model` takes every spec the commands take: the above, ``judge:TEMPLATE:MODEL`` (a
generative judge), ``tree:DIR`` (a decision tree; both are pairwise judges) and ``linear:DIR``
(the linear combination of a tree folder's attribute rewards and features, a scorer).
"""

from __future__ import annotations

from typing import Any

from rewardkit.errors import RewardkitError
from rewardkit.models.protocols import RewardScorer

BASELINES = ("length", "shortest", "random")
# ClassifierScorer options; baselines have none of them and ignore them, so one call serves both
MODEL_OPTIONS = frozenset({"batch_size", "bf16", "max_length", "normalize", "device", "template", "attn_implementation", "trust_remote_code",
                           "allow_untrained_head", "dtype", "device_map"})
# what a tree folder's attribute backbone takes (its max_length and template are the heads')
BACKBONE_OPTIONS = frozenset({"batch_size", "bf16", "device", "attn_implementation", "trust_remote_code", "dtype", "device_map"})


def is_baseline(spec: str) -> bool:
    """Whether `spec` names a scorer that nothing trained (``length``, ``shortest``,
    ``random[:SEED]``, ``relevance[:ENCODER]``, ``calc``, ``exec:LANGUAGE``, and a pretrained LM's
    likelihood, ``loglik:LM``, ``pmi:LM`` and their ``-mean`` modes)."""
    from rewardkit.models.likelihood import is_likelihood_spec

    return (spec in BASELINES or spec in ("relevance", "calc") or spec.startswith(("random:", "relevance:", "exec:"))
            or is_likelihood_spec(spec))


def load_scorer(spec: str, *, cache: Any = None, **kwargs: Any) -> RewardScorer:
    """A `RewardScorer` for a name, folder or hub id; keyword arguments go to the classifier
    scorer (`MODEL_OPTIONS`), and baselines ignore them. With `cache` (a
    `rewardkit.models.judges.cache.ResponseCache`) every leaf scorer keeps its rewards per
    conversation there (`rewardkit.models.cached`)."""
    unknown = set(kwargs) - MODEL_OPTIONS
    if unknown:
        raise TypeError(f"unknown scorer options {sorted(unknown)}; known: {', '.join(sorted(MODEL_OPTIONS))}")

    if spec.startswith("ensemble:"):
        from rewardkit.models.ensemble import EnsembleScorer

        return EnsembleScorer.load(spec, cache=cache, **kwargs)
    if spec.startswith("gated:"):
        from rewardkit.models.gate import GatedScorer

        return GatedScorer.load(spec, cache=cache, **kwargs)
    if spec.startswith("hinge:"):
        from rewardkit.models.hinge import HingeScorer

        return HingeScorer.load(spec, cache=cache, **kwargs)
    scorer = _load_leaf(spec, **kwargs)
    if cache is None or spec in BASELINES or spec.startswith("random:") or kwargs.get("allow_untrained_head"):
        return scorer
    from rewardkit.models.cached import CachedScorer

    return CachedScorer(scorer, cache, spec, kwargs)


def _load_leaf(spec: str, **kwargs: Any) -> RewardScorer:
    from rewardkit.models import baselines

    if spec == "length":
        return baselines.LengthScorer(+1)
    if spec == "shortest":
        return baselines.LengthScorer(-1)
    if spec == "random" or spec.startswith("random:"):
        try:
            seed = int(spec.split(":", 1)[1]) if ":" in spec else 0
        except ValueError:
            raise RewardkitError(f"bad random seed in {spec!r}; use random:INT") from None
        return baselines.RandomScorer(seed)
    if spec == "calc":
        from rewardkit.models.arithmetic import ArithmeticScorer

        return ArithmeticScorer()
    if spec.startswith("exec:"):
        from rewardkit.models.execution import ExecutionScorer

        return ExecutionScorer.load(spec)
    if spec == "relevance" or spec.startswith("relevance:"):
        from rewardkit.models.relevance import RelevanceScorer

        return RelevanceScorer.load(spec, **kwargs)
    from rewardkit.models.likelihood import LikelihoodScorer, is_likelihood_spec

    if is_likelihood_spec(spec):
        return LikelihoodScorer.load(spec, **kwargs)
    from rewardkit.models.classifier import ClassifierScorer

    return ClassifierScorer.load(spec, **kwargs)


def load_model(spec: str, *, judge_mode: str = "generate", judge_orders: str = "both", cache: Any = None,
               concurrency: int = 8, timeout: float = 120.0, max_retries: int = 5, api_key: str | None = None,
               **kwargs: Any) -> Any:
    """A `RewardScorer` or `PairwiseJudge` for any spec (see the module docstring). Scorer and
    loading options (`MODEL_OPTIONS`) go to the model; the judge options to generative judges.
    `cache` (a `ResponseCache`) keeps a judge's answers, or every leaf scorer's rewards."""
    if spec.startswith(("tree:", "linear:")):
        from rewardkit.models.tree.judge import TreeJudge
        from rewardkit.models.tree.linear import LinearScorer

        backbone = {k: v for k, v in kwargs.items() if k in BACKBONE_OPTIONS and v is not None}
        kind, folder = spec.split(":", 1)
        return (TreeJudge if kind == "tree" else LinearScorer).load(folder, **backbone)
    if spec.startswith("judge:"):
        from rewardkit.models.judges import load_judge, parse_judge_spec

        template, judge_model = parse_judge_spec(spec)
        kwargs.pop("allow_untrained_head", None)
        kwargs.pop("normalize", None)
        return load_judge(judge_model, template, mode=judge_mode, orders=judge_orders, cache=cache, concurrency=concurrency,
                          timeout=timeout, max_retries=max_retries, api_key=api_key, **kwargs)
    return load_scorer(spec, cache=cache, **kwargs)
