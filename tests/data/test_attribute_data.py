"""Attribute data: the HelpSteer2, UltraFeedback and rewardkit ratings readers (one row rule,
errors naming file, line and field), HelpSteer2's turn markers, and pair attribute labels."""

from __future__ import annotations

import gzip
import json

import pytest

from rewardkit.data.attributes import pair_attributes, parse_helpsteer_prompt, read_ratings
from rewardkit.data.io import ReadReport
from rewardkit.data.schema import FieldError, Message, PreferencePair, RatedResponse
from rewardkit.errors import DataError


def _write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return str(path)


HS2 = {"prompt": "Name a prime.<extra_id_1>Assistant\nTwo.<extra_id_1>User\nAnother one?", "response": "Three.",
       "helpfulness": 3, "correctness": 4, "coherence": 4, "complexity": 1, "verbosity": 0}


def test_helpsteer_turn_markers_become_messages():
    assert parse_helpsteer_prompt(HS2["prompt"]) == [Message("user", "Name a prime."), Message("assistant", "Two."),
                                                     Message("user", "Another one?")]
    assert parse_helpsteer_prompt("Just one turn") == [Message("user", "Just one turn")]
    assert parse_helpsteer_prompt("<extra_id_1>User\nleading marker") == [Message("user", "leading marker")]


def test_helpsteer2_rows(tmp_path):
    path = _write(tmp_path / "hs2.jsonl", [HS2, {**HS2, "response": "Five.", "verbosity": 2}])
    rows = list(read_ratings(path))
    assert [r.response for r in rows] == ["Three.", "Five."]
    assert rows[0].ratings == {"helpfulness": 3.0, "correctness": 4.0, "coherence": 4.0, "complexity": 1.0, "verbosity": 0.0}
    assert rows[0].prompt[-1] == Message("user", "Another one?")
    assert rows[1].id == "hs2-2"  # ids from file and line when the rows carry none


def test_ultrafeedback_rows_give_one_record_per_completion(tmp_path):
    row = {"source": "evol_instruct", "instruction": "Sum 2 and 2.", "completions": [
        {"model": "a", "response": "4", "annotations": {"helpfulness": {"Rating": "5"}, "honesty": {"Rating": "N/A"},
                                                         "instruction_following": {"Rating": "4"}}},
        {"model": "b", "response": "5", "custom_system_prompt": "Be brief.",
         "annotations": {"helpfulness": {"Rating": "1"}, "truthfulness": {"Rating": "1"}}}]}
    rows = list(read_ratings(_write(tmp_path / "uf.jsonl", [row])))
    assert [r.id for r in rows] == ["uf-1-0", "uf-1-1"]
    assert rows[0].ratings == {"helpfulness": 5.0, "instruction_following": 4.0}  # N/A is unrated, not 0
    assert rows[1].prompt == [Message("system", "Be brief."), Message("user", "Sum 2 and 2.")]
    assert rows[0].source == "evol_instruct" and rows[1].meta["model"] == "b"


def test_rewardkit_ratings_round_trip(tmp_path):
    r = RatedResponse("x", [Message("user", "hi")], "hello", {"helpfulness": 2.5}, "s", {"k": 1})
    path = _write(tmp_path / "r.jsonl.gz".replace(".gz", ""), [r.to_dict()])
    assert list(read_ratings(path)) == [r]
    gz = tmp_path / "r2.jsonl.gz"
    with gzip.open(gz, "wt") as f:
        f.write(json.dumps(r.to_dict()) + "\n")
    assert list(read_ratings(str(gz))) == [r]


@pytest.mark.parametrize("bad, line, field, words", [
    ({**HS2, "helpfulness": "high"}, 2, "helpfulness", "expected a number"),
    ({**HS2, "response": 3}, 2, "response", "expected a string"),
    ({**HS2, "response": "  "}, 2, "response", "response is empty"),
    ({k: v for k, v in HS2.items() if k != "prompt"}, 2, "prompt", "missing"),
    ("{not json", 2, None, "JSON"),
])
def test_bad_rating_rows_name_file_line_and_field(tmp_path, bad, line, field, words):
    path = _write(tmp_path / "hs2.jsonl", [HS2, bad])
    with pytest.raises(DataError) as e:
        list(read_ratings(path))
    msg = str(e.value)
    assert f"hs2.jsonl:{line}" in msg and words in msg and "--invalid skip" in msg
    if field:
        assert f"field '{field}'" in msg
    report = ReadReport(unit="rated responses")
    assert len(list(read_ratings(path, invalid="skip", report=report))) == 1
    assert sum(report.skipped.values()) == 1 and "1 rated responses" in report.summary()


def test_ultrafeedback_bad_rating_names_the_nested_field(tmp_path):
    row = {"instruction": "q", "completions": [{"response": "a", "annotations": {"honesty": {"Rating": "great"}}}]}
    with pytest.raises(DataError, match=r"uf.jsonl:1.*completions\[0\]\.annotations\.honesty\.Rating"):
        list(read_ratings(_write(tmp_path / "uf.jsonl", [row])))


def test_a_pairs_file_is_not_a_ratings_file(tmp_path):
    path = _write(tmp_path / "p.jsonl", [{"prompt": "q", "chosen": "a", "rejected": "b"}])
    with pytest.raises(DataError, match="not a ratings row"):
        list(read_ratings(path))


def _pair(**kw):
    return PreferencePair(id="p", prompt=[Message("user", "q")], chosen="a", rejected="b", **kw)


def test_pair_attributes_from_the_row_or_the_source_default():
    assert pair_attributes(_pair(source="tatsu-lab/alpaca_eval")) == ["helpfulness"]
    assert pair_attributes(_pair(source="rewardkit/synth", subset="synth-code")) == ["correctness"]
    assert pair_attributes(_pair(source="tatsu-lab/alpaca_eval", meta={"attribute": "conciseness"})) == ["conciseness"]
    assert pair_attributes(_pair(meta={"attribute": ["a", "b"]})) == ["a", "b"]
    with pytest.raises(FieldError, match="no attribute label") as e:
        pair_attributes(_pair(source="mine"))
    assert e.value.field == "attribute"
    with pytest.raises(FieldError, match="attribute name"):
        pair_attributes(_pair(meta={"attribute": "has space"}))
