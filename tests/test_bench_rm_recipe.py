"""bench/rm_recipe.py refuses to add a row measured on another development split than the
table's rows (they compare only on the same split)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from rm_recipe import check_same_dev, dev_digest  # noqa: E402


def test_a_row_on_another_dev_split_is_refused(tmp_path):
    dev = tmp_path / "dev.jsonl"
    dev.write_text("a\n")
    digest = dev_digest([str(dev)])
    assert digest == hashlib.sha256(b"a\n").hexdigest()
    check_same_dev([], [str(dev)], digest, 1)  # an empty table takes any split
    rows = [{"name": "old", "dev": {"pairs": 502}}]  # measured before rows recorded a digest
    check_same_dev(rows, [str(dev)], digest, 502)
    with pytest.raises(SystemExit, match=r"1472 pairs\) is not the development split .*row 'old': 502 pairs.*--new-dev"):
        check_same_dev(rows, [str(dev)], digest, 1472)  # the recipe script carved a new split
    rows.append({"name": "new", "dev": {"pairs": 502}, "dev_sha256": "f" * 64})
    with pytest.raises(SystemExit, match="row 'new': sha256 ffffffffffff, 502 pairs"):
        check_same_dev(rows, [str(dev)], digest, 502)  # as many pairs, other bytes: the digest decides
    rows[-1]["dev_sha256"] = digest
    check_same_dev(rows, [str(dev)], digest, 502)


def test_a_missing_dev_file_is_named(tmp_path):
    with pytest.raises(SystemExit, match=r"--dev: no such file .*nowhere\.jsonl"):
        dev_digest([str(tmp_path / "nowhere.jsonl")])
