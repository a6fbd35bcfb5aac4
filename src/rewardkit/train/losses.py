"""Pairwise reward-model losses: the eight of the Skywork-Reward ablation (Table 3 of the paper).

Every loss takes the rewards of the chosen and rejected responses, shape ``(batch,)``, and an
optional per-pair ``margin`` (the pair's preference strength), and returns the per-pair loss,
shape ``(batch,)``; the caller takes the mean. Write ``d = r_chosen - r_rejected`` and, when a
margin is given, ``d = r_chosen - r_rejected - margin`` (Llama-2's margin loss) except for
MarginMSE, which regresses ``d`` *onto* the margin.

RewardBench averages on Gemma-2-27B reported by the paper: Bradley-Terry 93.8,
temperature-adjusted BT 93.7, focal 93.6, focal with penalty 93.4, hinge 93.3, tempered log 92.9,
MarginMSE 92.3, cross-entropy 87.6. Bradley-Terry was kept.

Reward centering (TRL's ``center_rewards_coefficient``, from Eisenstein et al. 2023) is a separate
additive term, `center_penalty`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class LossParams:
    """Hyperparameters of the losses; each loss reads only its own.

    Attributes:
        temperature: ``bt-temperature``: the reward difference is divided by it (1 gives BT).
        gamma: ``focal`` and ``focal-penalty``: focusing exponent (0 gives BT).
        penalty_weight: ``focal-penalty``: weight of the log-barrier keeping rewards in
            ``(-penalty_bound, penalty_bound)`` (InternLM2 uses 0.02 and 5).
        penalty_bound: see `penalty_weight`.
        hinge_margin: ``hinge``: the difference below which a pair is penalised.
        mse_target: ``margin-mse``: the target difference when a pair has no margin of its own.
        tempered_t: ``tempered-log``: temperature of the tempered logarithm, in (0, 1]; 1 gives BT.
    """

    temperature: float = 2.0
    gamma: float = 2.0
    penalty_weight: float = 0.02
    penalty_bound: float = 5.0
    hinge_margin: float = 1.0
    mse_target: float = 1.0
    tempered_t: float = 0.5

    def __post_init__(self) -> None:
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")
        if self.gamma < 0:
            raise ValueError(f"gamma must be >= 0, got {self.gamma}")
        if not 0 < self.tempered_t <= 1:
            raise ValueError(f"tempered_t must be in (0, 1], got {self.tempered_t}")
        if self.penalty_bound <= 0 or self.penalty_weight < 0:
            raise ValueError("penalty_bound must be > 0 and penalty_weight >= 0")


def _diff(chosen: Tensor, rejected: Tensor, margin: Tensor | None) -> Tensor:
    d = chosen - rejected
    return d if margin is None else d - margin


def bradley_terry(chosen: Tensor, rejected: Tensor, margin: Tensor | None = None, p: LossParams = LossParams()) -> Tensor:
    """``-log σ(d)``: Bradley-Terry negative log-likelihood (Bradley & Terry 1952; InstructGPT)."""
    return -F.logsigmoid(_diff(chosen, rejected, margin))


def bradley_terry_temperature(chosen: Tensor, rejected: Tensor, margin: Tensor | None = None, p: LossParams = LossParams()) -> Tensor:
    """``-log σ(d / T)``: temperature-adjusted Bradley-Terry; ``T = 1`` is Bradley-Terry."""
    return -F.logsigmoid(_diff(chosen, rejected, margin) / p.temperature)


def focal(chosen: Tensor, rejected: Tensor, margin: Tensor | None = None, p: LossParams = LossParams()) -> Tensor:
    """``-(1 - σ(d))^γ log σ(d)``: focal loss (Lin et al. 2017) on the BT probability; ``γ = 0`` is BT."""
    d = _diff(chosen, rejected, margin)
    return -((1 - torch.sigmoid(d)) ** p.gamma) * F.logsigmoid(d)


def focal_penalty(chosen: Tensor, rejected: Tensor, margin: Tensor | None = None, p: LossParams = LossParams()) -> Tensor:
    """InternLM2's reward loss (Cai et al. 2024): focal ranking loss plus a log-barrier penalty.

    ``-(1 - 2·max(0, σ(d) - ½))^γ log σ(d)  -  λ·Σ_{r ∈ {chosen, rejected}} [log σ(r + B) + log σ(B - r)]``

    The focal factor only down-weights pairs already ranked right; the barrier keeps rewards in
    ``(-B, B)``. With ``γ = 0`` and ``λ = 0`` it is Bradley-Terry.
    """
    d = _diff(chosen, rejected, margin)
    weight = (1 - 2 * torch.clamp(torch.sigmoid(d) - 0.5, min=0)) ** p.gamma
    barrier = sum(F.logsigmoid(r + p.penalty_bound) + F.logsigmoid(p.penalty_bound - r) for r in (chosen, rejected))
    return -weight * F.logsigmoid(d) - p.penalty_weight * barrier


def hinge(chosen: Tensor, rejected: Tensor, margin: Tensor | None = None, p: LossParams = LossParams()) -> Tensor:
    """``max(0, m - d)``: hinge loss (Schölkopf et al. 2001) with margin ``m = hinge_margin``."""
    return torch.clamp(p.hinge_margin - _diff(chosen, rejected, margin), min=0)


def margin_mse(chosen: Tensor, rejected: Tensor, margin: Tensor | None = None, p: LossParams = LossParams()) -> Tensor:
    """``(r_chosen - r_rejected - target)²``: MarginMSE (Hofstätter et al. 2020), regressing the
    reward difference onto the pair's margin, or onto ``mse_target`` when there is none."""
    target = torch.full_like(chosen, p.mse_target) if margin is None else margin
    return (chosen - rejected - target) ** 2


def cross_entropy(chosen: Tensor, rejected: Tensor, margin: Tensor | None = None, p: LossParams = LossParams()) -> Tensor:
    """``-log σ(r_chosen) - log σ(-r_rejected)``: pointwise binary cross-entropy, each response
    classified good (1) or bad (0) on its own. (A softmax over the two rewards would be BT
    again; the paper's much lower score for cross-entropy fits the pointwise reading.) The
    margin shifts the decision: ``r_chosen - m/2`` and ``r_rejected + m/2``."""
    half = 0 if margin is None else margin / 2
    return -F.logsigmoid(chosen - half) - F.logsigmoid(-(rejected + half))


def tempered_log(chosen: Tensor, rejected: Tensor, margin: Tensor | None = None, p: LossParams = LossParams()) -> Tensor:
    """``-log_t σ(d)`` with the tempered logarithm ``log_t(x) = (x^(1-t) - 1) / (1 - t)``
    (Amid et al. 2019). For ``t < 1`` the loss is bounded by ``1 / (1 - t)``, so mislabelled pairs
    cannot dominate; ``t = 1`` is Bradley-Terry."""
    d = _diff(chosen, rejected, margin)
    if p.tempered_t == 1:
        return -F.logsigmoid(d)
    prob_pow = torch.exp((1 - p.tempered_t) * F.logsigmoid(d))  # σ(d)^(1-t), stable for large |d|
    return (1 - prob_pow) / (1 - p.tempered_t)


LossFn = Callable[..., Tensor]

LOSSES: dict[str, LossFn] = {
    "bt": bradley_terry,
    "bt-temperature": bradley_terry_temperature,
    "focal": focal,
    "focal-penalty": focal_penalty,
    "hinge": hinge,
    "margin-mse": margin_mse,
    "cross-entropy": cross_entropy,
    "tempered-log": tempered_log,
}


def get_loss(name: str) -> LossFn:
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}") from None


def center_penalty(chosen: Tensor, rejected: Tensor) -> Tensor:
    """``mean((r_chosen + r_rejected)²)``: pulls rewards toward zero mean (Eisenstein et al. 2023);
    TRL multiplies it by ``center_rewards_coefficient``."""
    return torch.mean((chosen + rejected) ** 2)


def pair_length_correlation(chosen: Tensor, rejected: Tensor, chosen_len: Tensor, rejected_len: Tensor) -> Tensor:
    """``corr(r_c - r_r, log(l_c / l_r))``: the Pearson correlation, over the batch, of the
    reward margin with the log length ratio of the two responses (lengths in tokens); in
    [-1, 1], differentiable in the rewards. Undefined (0) for a batch of one pair or constant
    margins or lengths."""
    margin = chosen - rejected
    ratio = torch.log(chosen_len.float()) - torch.log(rejected_len.float())
    if margin.numel() < 2:
        return margin.sum() * 0.0
    m, r = margin - margin.mean(), ratio - ratio.mean()
    denom = torch.sqrt((m * m).sum() * (r * r).sum())
    if float(denom.detach()) < 1e-12:
        return margin.sum() * 0.0
    return (m * r).sum() / denom


def length_correlation_penalty(chosen: Tensor, rejected: Tensor, chosen_len: Tensor, rejected_len: Tensor) -> Tensor:
    """``corr(r_c - r_r, log(l_c / l_r))²`` (`pair_length_correlation`, squared): zero when the
    margins carry no linear trace of length; ``length_penalty`` weighs it. It is the batch-level
    form of ODIN's length decorrelation of the quality reward (Chen et al. 2024)."""
    return pair_length_correlation(chosen, rejected, chosen_len, rejected_len) ** 2


def length_head_penalty(length_chosen: Tensor, length_rejected: Tensor, chosen_len: Tensor, rejected_len: Tensor,
                        quality_row: Tensor, length_row: Tensor) -> Tensor:
    """ODIN's terms for the length head (`rewardkit.train.length_head`): ``-corr(l_c - l_r,
    log(len_c / len_r)) + |cos(w_q, w_l)|``. The first pulls the length head's margins toward
    the log length ratio (lowest, -1, when they follow it exactly); the second keeps the two
    output rows orthogonal, so the length head cannot carry quality and the quality head's
    direction is not the length one. ``length_head`` weighs it."""
    corr = pair_length_correlation(length_chosen, length_rejected, chosen_len, rejected_len)
    cos = F.cosine_similarity(quality_row.float(), length_row.float(), dim=0)
    return -corr + cos.abs()
