"""bench/common.py's `sections`: the synthetic sections from rewards in `pair_conversations`'
order (every chosen conversation, then every rejected one), computed by hand."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from common import sections  # noqa: E402


def test_sections_pair_each_chosen_reward_with_its_rejected_one():
    rows = [  # subset, chosen reward, rejected reward
        ("synth-code", 1.0, 0.5),  # right
        ("synth-code", 0.0, 0.5),  # wrong
        ("synth-math", 2.0, 1.0),  # right
        ("synth-units", 0.0, 3.0),  # wrong
        ("synth-instructions", 1.0, 0.0),  # right
        ("synth-safety-refuse", 1.0, 2.0),  # wrong
        ("synth-safety-respond", 3.0, 2.0),  # right
    ]
    pairs = [SimpleNamespace(id=f"p{i}", subset=s) for i, (s, _, _) in enumerate(rows)]
    rewards = [c for _, c, _ in rows] + [r for _, _, r in rows]  # all chosen, then all rejected
    got = sections(rewards, pairs)
    assert got == pytest.approx({"score": (0.5 + 1.0 + 0.5 + 0.5) / 4, "Math": 0.5, "Instructions": 1.0, "Code": 0.5, "Safety": 0.5})
