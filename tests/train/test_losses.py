"""Each loss against values worked out by hand (math module, σ(x) = 1 / (1 + e^-x)), and the
limits that must hold between them.

Two pairs: (r_chosen, r_rejected) = (1.0, 0.0), d = 1; and (-0.5, 1.5), d = -2.
Defaults: T = 2, γ = 2, λ = 0.02, B = 5, hinge m = 1, MSE target 1, tempered t = 0.5.
"""

import math

import pytest
import torch

from rewardkit.train.losses import LOSSES, LossParams, center_penalty, get_loss

CHOSEN = torch.tensor([1.0, -0.5], dtype=torch.float64)
REJECTED = torch.tensor([0.0, 1.5], dtype=torch.float64)

# -log σ(1) = log(1 + e^-1) = 0.31326...; -log σ(-2) = log(1 + e^2) = 2.12692...
HAND = {
    "bt": [0.3132616875182228, 2.1269280110429727],
    # -log σ(d / 2)
    "bt-temperature": [0.47407698418010663, 1.3132616875182228],
    # -(1 - σ(d))² log σ(d); σ(1) = 0.73106 → 0.26894² · 0.31326
    "focal": [0.022658057508467326, 1.650078179421409],
    # -(1 - 2 max(0, σ(d) - ½))² log σ(d) - 0.02 Σ_r [log σ(r + 5) + log σ(5 - r)]
    "focal-penalty": [0.09131335623454483, 2.1278555893740037],
    # max(0, 1 - d)
    "hinge": [0.0, 3.0],
    # (d - 1)²
    "margin-mse": [0.0, 9.0],
    # -log σ(r_c) - log σ(-r_r)
    "cross-entropy": [1.006408868078168, 2.6754902621628593],
    # (1 - σ(d)^0.5) / 0.5
    "tempered-log": [0.2899607271995126, 1.3094844765767606],
}


def test_all_eight_losses_are_registered():
    assert sorted(LOSSES) == sorted(HAND) and len(LOSSES) == 8


@pytest.mark.parametrize("name", sorted(HAND))
def test_loss_by_hand(name):
    got = get_loss(name)(CHOSEN, REJECTED, None, LossParams())
    assert got.tolist() == pytest.approx(HAND[name], rel=1e-12, abs=1e-12)


def test_limits_equal_bradley_terry():
    bt = LOSSES["bt"](CHOSEN, REJECTED)
    assert torch.allclose(LOSSES["bt-temperature"](CHOSEN, REJECTED, None, LossParams(temperature=1.0)), bt)
    assert torch.allclose(LOSSES["focal"](CHOSEN, REJECTED, None, LossParams(gamma=0.0)), bt)
    assert torch.allclose(LOSSES["focal-penalty"](CHOSEN, REJECTED, None, LossParams(gamma=0.0, penalty_weight=0.0)), bt)
    assert torch.allclose(LOSSES["tempered-log"](CHOSEN, REJECTED, None, LossParams(tempered_t=1.0)), bt)
    # a tempered t just below 1 approaches BT continuously
    near = LOSSES["tempered-log"](CHOSEN, REJECTED, None, LossParams(tempered_t=0.999999))
    assert torch.allclose(near, bt, atol=1e-5)


def test_margin_shifts_the_difference():
    margin = torch.tensor([0.5, 0.5], dtype=torch.float64)
    # BT with margin: -log σ(d - m)
    assert LOSSES["bt"](CHOSEN, REJECTED, margin).tolist() == pytest.approx([-math.log(1 / (1 + math.exp(-0.5))), -math.log(1 / (1 + math.exp(2.5)))])
    # MarginMSE regresses d onto the margin
    assert LOSSES["margin-mse"](CHOSEN, REJECTED, margin).tolist() == pytest.approx([0.25, 6.25])
    assert LOSSES["hinge"](CHOSEN, REJECTED, margin).tolist() == pytest.approx([0.5, 3.5])


@pytest.mark.parametrize("name", sorted(HAND))
def test_gradients_push_chosen_up_and_rejected_down(name):
    # a pair ranked wrong (d = -2) must get a gradient step that raises chosen and lowers rejected
    c = torch.tensor([-0.5], dtype=torch.float64, requires_grad=True)
    r = torch.tensor([1.5], dtype=torch.float64, requires_grad=True)
    get_loss(name)(c, r, None, LossParams()).sum().backward()
    assert c.grad.item() < 0 < r.grad.item()


def test_tempered_log_is_bounded_and_stable():
    c = torch.tensor([-200.0, 200.0])
    r = torch.tensor([200.0, -200.0])
    out = LOSSES["tempered-log"](c, r, None, LossParams(tempered_t=0.5))
    assert out.tolist() == pytest.approx([2.0, 0.0])  # bound 1 / (1 - t) = 2
    assert torch.isfinite(LOSSES["bt"](c, r)).all() and torch.isfinite(LOSSES["focal"](c, r)).all()


def test_center_penalty_by_hand():
    # ((1 + 0)² + (-0.5 + 1.5)²) / 2 = 1
    assert center_penalty(CHOSEN, REJECTED).item() == pytest.approx(1.0)


def test_bad_names_and_params():
    with pytest.raises(ValueError, match="known: bt, bt-temperature"):
        get_loss("dpo")
    with pytest.raises(ValueError, match="tempered_t"):
        LossParams(tempered_t=1.5)


def test_length_correlation_penalty_by_hand():
    import math

    import torch

    from rewardkit.train.losses import length_correlation_penalty

    chosen, rejected = torch.tensor([2.0, 0.0, 1.0]), torch.tensor([0.0, 0.0, 0.0])
    # margins 2, 0, 1 against log length ratios log 4, log 1, log 2 = 2a, 0, a (a = log 2): exactly linear, corr 1
    c_len, r_len = torch.tensor([40, 10, 20]), torch.tensor([10, 10, 10])
    assert float(length_correlation_penalty(chosen, rejected, c_len, r_len)) == pytest.approx(1.0)
    # margins 1, -1, 0 against ratios 2a, 0, a: centred m = (1, -1, 0), r = (a, -a, 0): corr 1 again; swap one -> corr 0
    m = torch.tensor([1.0, -1.0, 0.0])
    assert float(length_correlation_penalty(m, torch.zeros(3), c_len, r_len)) == pytest.approx(1.0)
    m = torch.tensor([0.0, 0.0, 1.0])  # centred (-1/3, -1/3, 2/3) against (a, -a, 0): dot 0 -> 0
    assert float(length_correlation_penalty(m, torch.zeros(3), c_len, r_len)) == pytest.approx(0.0, abs=1e-12)
    # a half-correlated case by hand: m = (1, 0, 0) centred (2/3, -1/3, -1/3); r centred (a, -a, 0)
    # dot = a, |m|² = 2/3, |r|² = 2a² -> corr² = a² / (2/3 · 2a²) = 3/4
    m = torch.tensor([1.0, 0.0, 0.0])
    assert float(length_correlation_penalty(m, torch.zeros(3), c_len, r_len)) == pytest.approx(0.75)
    # gradient flows to the rewards; one pair or equal lengths give 0
    chosen = torch.tensor([1.0, 0.0, 0.0], requires_grad=True)
    length_correlation_penalty(chosen, torch.zeros(3), c_len, r_len).backward()
    assert chosen.grad is not None and math.isfinite(float(chosen.grad.abs().sum()))
    assert float(length_correlation_penalty(torch.tensor([1.0]), torch.tensor([0.0]), c_len[:1], r_len[:1])) == 0.0
    assert float(length_correlation_penalty(m, torch.zeros(3), r_len, r_len)) == 0.0
