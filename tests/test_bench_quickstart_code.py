"""bench/quickstart_code.py's per-template figures, computed by hand from rewards in
`pair_conversations`' order (every chosen conversation, then every rejected one)."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from quickstart_code import by_template  # noqa: E402


def test_per_template_hand_written_and_twin_accuracies():
    rows = [  # template, chosen reward, rejected reward
        ("code/count_pages", 1.0, 0.0),  # hand-written, right
        ("code/count_pages", 0.0, 1.0),  # hand-written, wrong
        ("code/factorial", 2.0, 1.0),  # hand-written, right
        ("code/cubes_inclusive", 1.0, 2.0),  # twin, wrong
        ("code/cubes_exclusive", 3.0, 2.0),  # twin, right
        ("units/km-miles", 0.0, 5.0),  # another family: in per_template only
    ]
    pairs = [SimpleNamespace(meta={"template": t}) for t, _, _ in rows]
    rewards = [c for _, c, _ in rows] + [r for _, _, r in rows]
    got = by_template(rewards, pairs)
    assert got["code_hand_written"] == pytest.approx(2 / 3)
    assert got["code_twins"] == pytest.approx(1 / 2)
    assert got["per_template"] == {"code/count_pages": 0.5, "code/cubes_exclusive": 1.0, "code/cubes_inclusive": 0.0,
                                   "code/factorial": 1.0, "units/km-miles": 0.0}
    assert math.isnan(by_template([1.0, 0.0], pairs[-1:])["code_twins"])  # no twin pairs: no figure, not 0
