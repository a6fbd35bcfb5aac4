"""scripts/quality_recipe.sh: the recipe's five commands in order, a refused missing config."""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "quality_recipe.sh"
RB_OPEN = REPO.parent / "shared" / "data" / "eval" / "rb-open.jsonl"


def run(*args, **env):
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "REWARDKIT_RECIPE_DRY_RUN": "1", **env})


def test_a_missing_config_is_refused_before_any_work():
    out = run("configs/no-such-config.yaml")
    assert out.returncode == 2
    assert "no training config at configs/no-such-config.yaml" in out.stderr
    assert out.stdout == ""


def test_the_commands_run_in_order_and_skip_what_exists():
    if not RB_OPEN.is_file():
        pytest.skip(f"shared data not found at {RB_OPEN.parent.parent} (the script reads ../shared/data)")
    out = run("configs/rm-quality.yaml")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    data_steps = [("rewardkit data synth --out runs/quality/synth", "synth/train.jsonl"),
                  ("rewardkit curate configs/rm-quality-curate.yaml --out runs/quality/curated", "curated/curated.jsonl"),
                  ("rewardkit data split --data runs/quality/curated/curated.jsonl --out runs/quality/split", "split/train.jsonl")]
    expected = [cmd for cmd, output in data_steps if not (REPO / "runs" / "quality" / output).exists()]
    assert [line.split(" --n ")[0].split(" --dev ")[0] for line in lines[:-2]] == expected
    assert lines[-2] == ("rewardkit train rm --config configs/rm-quality.yaml --data runs/quality/split/train.jsonl "
                         "--eval-data runs/quality/split/dev.jsonl --out runs/quality/rm-quality")
    assert lines[-1] == "rewardkit eval --model runs/quality/rm-quality --data ../shared/data/eval/rb-open.jsonl --out runs/quality/rm-quality-eval"
