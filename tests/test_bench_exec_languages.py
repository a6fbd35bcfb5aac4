"""bench/exec_languages.py: right / wrong / tied per language on a hand-made HumanEvalPack-style
file, and a language without its toolchain recorded as skipped."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from exec_languages import measure  # noqa: E402


def pair(i, subset, prompt, chosen, rejected):
    return json.dumps({"id": f"p{i}", "subset": subset, "prompt": prompt, "chosen": chosen, "rejected": rejected}) + "\n"


def test_counts_per_language_and_a_missing_toolchain(tmp_path, monkeypatch):
    py = "Write a Python function `double(x: int) -> int`.\n>>> double(2)\n4"
    data = tmp_path / "hep.jsonl"
    data.write_text(pair(0, "hep-python", py, "    return 2 * x\n", "    return x + 1\n")       # 4 vs 3: right
                    + pair(1, "hep-python", py, "    return x + 2\n", "    return 2 * x\n")     # both pass: tied
                    + pair(2, "hep-python", "Write something.", "hello", "bye")                 # no examples: tied, not fired
                    + pair(3, "hep-python", py, "    return x\n", "    return x * x\n")         # wrong
                    + pair(4, "chat", py, "    return 2 * x\n", "    return x\n"))              # another subset: not counted
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda tool: None if tool == "node" else real(tool))
    got = measure(str(data), workers=1)
    assert {k: got["python"][k] for k in ("pairs", "right", "wrong", "tied", "fired", "answers_run")} == \
        {"pairs": 4, "right": 1, "wrong": 1, "tied": 2, "fired": 3, "answers_run": 6}
    assert got["javascript"] == {"subset": "hep-js", "skipped": "exec:javascript needs node on PATH to run javascript code; "
                                 "install the toolchain, or leave this member out"}
