"""scripts/quality_recipe.sh: the recipe's commands in order, a refused missing config."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "quality_recipe.sh"
RB_OPEN = REPO.parent / "shared" / "data" / "eval" / "rb-open.jsonl"


def run(*args, **env):
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "REWARDKIT_RECIPE_DRY_RUN": "1", **env})


def curated_from_this_config(quality: Path) -> bool:
    """Whether runs/quality/curated records the current curation config's sha256 (the script
    curates and splits again otherwise)."""
    import hashlib

    stamp = quality / "curated" / "config.sha256"
    config = REPO / "configs" / "rm-quality-curate.yaml"
    return stamp.is_file() and stamp.read_text().split()[0] == hashlib.sha256(config.read_bytes()).hexdigest()


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
    data_steps = [("rewardkit data synth --out runs/quality/synth-6000", "synth-6000/train.jsonl"),
                  ("rewardkit curate configs/rm-quality-curate.yaml --out runs/quality/curated", "curated/curated.jsonl"),
                  ("rewardkit data split --data runs/quality/curated/curated.jsonl --out runs/quality/split", "split/train.jsonl")]
    quality = REPO / "runs" / "quality"
    expected = [cmd for cmd, output in data_steps if not (quality / output).exists()]
    if data_steps[1][0] not in expected and not curated_from_this_config(quality):
        expected = [c for c, _ in data_steps[:1] if c in expected] + [c for c, _ in data_steps[1:]]
    train = lines.index("rewardkit train rm --config configs/rm-quality.yaml --data runs/quality/split/train.jsonl "
                        "--eval-data runs/quality/split/dev.jsonl --out runs/quality/rm-quality")
    assert [line.split(" --n ")[0].split(" --dev ")[0] for line in lines[:train]] == expected
    gate = ("rewardkit train gate --data runs/quality/split/train.jsonl --dev runs/quality/split/dev.jsonl "
            "--positive harmless-base-test --positive synth-safety-refuse --out runs/quality/gate")
    refit = bool(expected) and expected[-1].startswith("rewardkit data split") or not (quality / "gate" / "gate.json").is_file()
    # the languages whose toolchain is on PATH join exec:python
    verifiers = "".join(f",exec:{lang}@8" for lang, tool in (("javascript", "node"), ("cpp", "g++"), ("java", "java"))
                        if shutil.which(tool))
    assert lines[train + 1:] == [
        "rewardkit eval --model runs/quality/rm-quality --data ../shared/data/eval/rb-open.jsonl --out runs/quality/rm-quality-eval",
        *([gate] if refit else []),
        "rewardkit eval --model ensemble:runs/quality/rm-quality,gated:runs/quality/gate:pmi:smollm2@0.0332,"
        "gated:runs/quality/gate:relevance@3.43 "
        "--also ensemble:runs/quality/rm-quality,gated:runs/quality/gate:pmi:smollm2@0.0332,"
        f"gated:runs/quality/gate:relevance@3.43,exec:python@8{verifiers},calc@8 "
        "--data ../shared/data/eval/rb-open.jsonl --out runs/quality/rm-quality-ensemble-eval --cache runs/quality/scores.sqlite"]


def test_curated_data_from_another_curation_config_is_made_again(tmp_path):
    """In a copy of the layout (no shared data needed): data curated with the current config is
    kept, data from an edited config is curated and split again."""
    import hashlib
    import shutil

    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPT, repo / "scripts" / SCRIPT.name)
    shutil.copytree(REPO / "configs", repo / "configs")
    (tmp_path / "shared" / "data" / "eval").mkdir(parents=True)
    (tmp_path / "shared" / "data" / "eval" / "rb-open.jsonl").write_text("")
    quality = repo / "runs" / "quality"
    for output in ("synth-6000/train.jsonl", "curated/curated.jsonl", "split/train.jsonl"):
        (quality / output).parent.mkdir(parents=True, exist_ok=True)
        (quality / output).write_text("")
    digest = hashlib.sha256((repo / "configs" / "rm-quality-curate.yaml").read_bytes()).hexdigest()
    stamp = quality / "curated" / "config.sha256"
    dry = {**os.environ, "REWARDKIT_RECIPE_DRY_RUN": "1"}

    def commands() -> list[str]:
        out = subprocess.run(["bash", str(repo / "scripts" / SCRIPT.name)], capture_output=True, text=True, timeout=60, env=dry)
        assert out.returncode == 0, out.stderr
        return [" ".join(line.split()[1:3]) for line in out.stdout.splitlines()]

    stamp.write_text(f"{digest}  configs/rm-quality-curate.yaml\n")
    model = ["train rm", "eval --model"]
    assert commands() == [*model, "train gate", "eval --model"]  # no gate yet
    (quality / "gate").mkdir()
    (quality / "gate" / "gate.json").write_text("{}")
    assert commands() == [*model, "eval --model"]  # the gate of this split is kept
    (repo / "configs" / "rm-quality-curate.yaml").write_text("# edited\n")
    resplit = ["curate configs/rm-quality-curate.yaml", "data split", *model, "train gate", "eval --model"]
    assert commands() == resplit  # a new split: a new gate
    stamp.unlink()  # curated before the stamp existed
    assert commands() == resplit
