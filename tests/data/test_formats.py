"""Every reader on small fixtures written here, and round trips through every writer."""

import json

import pytest

from rewardkit.data.formats import FORMATS, common_text_prefix, detect_format
from rewardkit.data.io import ReadReport, load_pairs, write_pairs
from rewardkit.data.schema import Message, PreferencePair
from rewardkit.errors import DataError

SINGLE = PreferencePair(id="a1", prompt=[Message("user", "Name a colour.")], chosen="Blue.", rejected="Seven.", source="src", subset="chat")
MULTI = PreferencePair(
    id="m1",
    prompt=[Message("user", "Hi"), Message("assistant", "Hello! How can I help?"), Message("user", "Tell me a joke.")],
    chosen="Why did the chicken cross the road?", rejected="No.", source="src",
)
SYSTEM = PreferencePair(id="s1", prompt=[Message("system", "Be terse."), Message("user", "2+2?")], chosen="4", rejected="22", source="src")


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("row", "name"),
    [
        ({"id": "1", "source": "x", "prompt": "q", "chosen": "a", "rejected": "b"}, "rewardkit"),
        ({"prompt": [{"role": "user", "content": "q"}], "chosen": "a", "rejected": "b"}, "rewardkit"),
        ({"prompt": "q", "chosen": "a", "rejected": "b", "subset": "alpacaeval-easy", "id": 3}, "rewardbench"),
        ({"prompt": "q", "chosen": "a", "rejected": "b"}, "rewardkit"),
        ({"chosen": "The sky is blue.", "rejected": "The sky is green."}, "trl-standard"),
        ({"prompt": [{"role": "user", "content": "q"}], "chosen": [{"role": "assistant", "content": "a"}], "rejected": [{"role": "assistant", "content": "b"}]}, "trl"),
        ({"chosen": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "rejected": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "b"}]}, "trl"),
        ({"chosen": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "rejected": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "b"}], "source": "magpie"}, "skywork"),
        ({"chosen": "\n\nHuman: hi\n\nAssistant: hello", "rejected": "\n\nHuman: hi\n\nAssistant: go away"}, "hh"),
        ({"text": "hello"}, None),
    ],
)
def test_detect_format(row, name):
    assert detect_format(row) == name


def test_rewardbench_rows(tmp_path):
    path = _write_jsonl(tmp_path / "rb.jsonl", [
        {"prompt": "Name a colour.", "chosen": "Blue.", "chosen_model": "gpt-4", "rejected": "Seven.", "rejected_model": "llama", "subset": "alpacaeval-easy", "id": 7},
    ])
    [pair] = load_pairs(path)
    assert (pair.id, pair.subset, pair.source) == ("7", "alpacaeval-easy", "rb")
    assert pair.prompt == [Message("user", "Name a colour.")]
    assert pair.meta == {"chosen_model": "gpt-4", "rejected_model": "llama"}


def test_trl_conversational_explicit_and_implicit(tmp_path):
    explicit = {"prompt": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "2+2?"}],
                "chosen": [{"role": "assistant", "content": "4"}], "rejected": [{"role": "assistant", "content": "22"}]}
    implicit = {"chosen": explicit["prompt"] + explicit["chosen"], "rejected": explicit["prompt"] + explicit["rejected"]}
    a = load_pairs(_write_jsonl(tmp_path / "a.jsonl", [explicit]), format="trl")[0]
    b = load_pairs(_write_jsonl(tmp_path / "b.jsonl", [implicit]))[0]
    for pair in (a, b):
        assert pair.prompt == SYSTEM.prompt and (pair.chosen, pair.rejected) == ("4", "22")


def test_trl_implicit_conversations_must_share_their_prompt(tmp_path):
    row = {"chosen": [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a"}],
           "rejected": [{"role": "user", "content": "q2"}, {"role": "assistant", "content": "b"}]}
    with pytest.raises(DataError, match=r"b\.jsonl:1: field 'rejected': chosen and rejected conversations differ"):
        load_pairs(_write_jsonl(tmp_path / "b.jsonl", [row]))


def test_trl_standard_implicit_prompt_follows_trl_extract_prompt(tmp_path):
    # TRL keeps the space that starts the responses with the responses.
    assert common_text_prefix("The sky is blue.", "The sky is green.") == "The sky is"
    [pair] = load_pairs(_write_jsonl(tmp_path / "s.jsonl", [{"chosen": "The sky is blue.", "rejected": "The sky is green."}]))
    assert pair.prompt == [Message("user", "The sky is")]
    assert (pair.chosen, pair.rejected) == (" blue.", " green.")


def test_skywork_rows_keep_source(tmp_path):
    conv = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"}, {"role": "user", "content": "Tell me a joke."}]
    row = {"chosen": conv + [{"role": "assistant", "content": MULTI.chosen}], "rejected": conv + [{"role": "assistant", "content": MULTI.rejected}], "source": "magpie_ultra"}
    [pair] = load_pairs(_write_jsonl(tmp_path / "sky.jsonl", [row]))
    assert pair.source == "magpie_ultra" and pair.prompt == MULTI.prompt and pair.turns == 4


def test_hh_transcripts(tmp_path):
    row = {"chosen": "\n\nHuman: What's a good pet?\n\nAssistant: Which do you like?\n\nHuman: Cats.\n\nAssistant: A cat, then.",
           "rejected": "\n\nHuman: What's a good pet?\n\nAssistant: Which do you like?\n\nHuman: Cats.\n\nAssistant: Snakes."}
    [pair] = load_pairs(_write_jsonl(tmp_path / "hh.jsonl", [row]))
    assert [m.role for m in pair.prompt] == ["user", "assistant", "user"]
    assert pair.prompt[2].content == "Cats." and (pair.chosen, pair.rejected) == ("A cat, then.", "Snakes.")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".json", ".parquet"])
def test_round_trip_every_writer_and_container(tmp_path, fmt, suffix):
    multi_ok = fmt not in ("rewardbench", "trl-standard")
    pairs = [SINGLE, MULTI] if multi_ok else [SINGLE]
    if fmt not in ("rewardbench", "trl-standard", "hh"):
        pairs.append(SYSTEM)
    path = str(tmp_path / f"out{suffix}")
    assert write_pairs(pairs, path, format=fmt) == len(pairs)
    back = load_pairs(path, format=fmt)
    for want, got in zip(pairs, back, strict=True):
        assert (got.prompt, got.chosen, got.rejected) == (want.prompt, want.chosen, want.rejected)
        if fmt == "rewardkit":
            assert got == want
    auto = load_pairs(path)  # auto-detection reads every writer's output back to the same pairs
    assert [(p.prompt, p.chosen, p.rejected) for p in auto] == [(p.prompt, p.chosen, p.rejected) for p in pairs]


def test_writers_refuse_what_they_cannot_hold(tmp_path):
    with pytest.raises(DataError, match="one user turn"):
        write_pairs([MULTI], str(tmp_path / "rb.jsonl"), format="rewardbench")
    with pytest.raises(DataError, match="no 'system' turns"):
        write_pairs([SYSTEM], str(tmp_path / "hh.jsonl"), format="hh")
    assert not (tmp_path / "rb.jsonl").exists(), "a failed write must not leave a partial file"


def test_unknown_format_lists_known(tmp_path):
    with pytest.raises(DataError, match="known: rewardkit, rewardbench"):
        load_pairs(_write_jsonl(tmp_path / "a.jsonl", [{"prompt": "q", "chosen": "a", "rejected": "b"}]), format="alpaca")


def test_undetectable_row_names_file_and_line(tmp_path):
    with pytest.raises(DataError, match=r"x\.jsonl:1: cannot tell the format .*keys: instruction, output"):
        load_pairs(_write_jsonl(tmp_path / "x.jsonl", [{"instruction": "q", "output": "a"}]))


def test_invalid_policies_count_what_they_do(tmp_path):
    rows = [
        {"prompt": "q1", "chosen": "a", "rejected": "b"},
        {"prompt": "q2", "chosen": "", "rejected": "b"},
        {"prompt": "q3", "chosen": "same", "rejected": "same"},
        {"prompt": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "x"}], "chosen": "a", "rejected": "b"},
    ]
    path = _write_jsonl(tmp_path / "d.jsonl", rows)
    with pytest.raises(DataError, match=r"d\.jsonl:2: field 'chosen': the chosen response is empty"):
        load_pairs(path)
    skip = ReadReport()
    assert [p.prompt[0].content for p in load_pairs(path, invalid="skip", report=skip)] == ["q1"]
    assert dict(skip.skipped) == {"empty-chosen": 1, "identical-responses": 1, "prompt-not-ending-in-user": 1}
    keep = ReadReport()
    assert len(load_pairs(path, invalid="keep", report=keep)) == 4 and sum(keep.flagged.values()) == 3
    assert (keep.rows, keep.pairs, skip.pairs) == (4, 4, 1)


def test_keep_skips_and_counts_rows_that_are_not_pairs(tmp_path):
    path = _write_jsonl(tmp_path / "d.jsonl", [{"prompt": "q", "chosen": "a", "rejected": "b"}, {"prompt": "q", "chosen": "a"}])
    with pytest.raises(DataError, match=r"d\.jsonl:2: field 'rejected': required field is missing; --invalid skip"):
        load_pairs(path)
    report = ReadReport()
    assert len(load_pairs(path, invalid="keep", report=report)) == 1  # a row that is not a pair cannot be kept
    assert dict(report.skipped) == {"missing-field": 1} and not report.flagged
