"""The synthetic generator: deterministic, held-out templates, and labels right by construction.

The label checks do not trust the generator: arithmetic lines are recomputed, conversions are
redone from a separate factor table, code is executed on test cases, constraints are counted.
"""

import json
import re

import pytest

from rewardkit.data.io import load_pairs
from rewardkit.data.synth import FAMILIES, SynthConfig, generate_split, generate_to
from rewardkit.errors import RewardkitError


@pytest.fixture(scope="module")
def splits():
    config = SynthConfig(n_train=600, n_test=300, seed=7)
    return {s: generate_split(config, s)[0] for s in ("train", "test")}


def test_same_seed_same_pairs_other_seed_other_pairs():
    a = generate_split(SynthConfig(n_train=60, n_test=10, seed=1), "train")[0]
    b = generate_split(SynthConfig(n_train=60, n_test=10, seed=1), "train")[0]
    c = generate_split(SynthConfig(n_train=60, n_test=10, seed=2), "train")[0]
    assert [p.to_dict() for p in a] == [p.to_dict() for p in b]
    assert [p.chosen for p in a] != [p.chosen for p in c]


def test_test_split_uses_only_heldout_templates(splits):
    train_t = {p.meta["template"] for p in splits["train"]}
    test_t = {p.meta["template"] for p in splits["test"]}
    assert train_t.isdisjoint(test_t)
    heldout = {f"{f.name}/{t.name}" for f in FAMILIES.values() for t in f.templates if t.heldout}
    assert test_t == heldout
    assert {p.subset for p in splits["test"]} == {f.subset for f in FAMILIES.values()}


def test_pairs_are_valid_and_distinct(splits):
    for pairs in splits.values():
        assert all(not p.problems() for p in pairs)
        assert len({(p.prompt[0].content, p.chosen, p.rejected) for p in pairs}) == len(pairs)
        assert len({p.id for p in pairs}) == len(pairs)


NUM = r"-?[\d,]*\.?\d+"
STEP = re.compile(rf"\$?({NUM})[^\d$\-]*?\s([×+−÷])\s\$?({NUM})[^=]*=\s\$?({NUM})")


def _num(s):
    return float(s.replace(",", ""))


def _wrong_steps(text):
    wrong = 0
    lines = [l for l in text.splitlines() if re.match(r"\d+\. ", l)]
    for line in lines:
        a, op, b, c = STEP.search(line).groups()
        a, b, c = _num(a), _num(b), _num(c)
        value = {"×": a * b, "+": a + b, "−": a - b, "÷": a / b}[op]
        wrong += abs(value - c) > 0.011
    return wrong, len(lines)


def _final_number(text):
    return _num(re.findall(NUM, text.splitlines()[-1])[0])


def test_math_labels(splits):
    pairs = [p for s in splits.values() for p in s if p.meta["family"] == "math"]
    assert pairs
    for p in pairs:
        good, n = _wrong_steps(p.chosen)
        bad, m = _wrong_steps(p.rejected)
        assert (good, bad) == (0, 1) and n == m >= 3, p.id
        assert _final_number(p.chosen) == pytest.approx(p.meta["check"]["answer"])
        assert _final_number(p.rejected) != pytest.approx(p.meta["check"]["answer"])


FACTORS = {("mi", "km"): lambda x: x * 1.609344, ("F", "C"): lambda f: (f - 32) / 1.8, ("lb", "kg"): lambda x: x / 2.2046226218,
           ("ft2", "m2"): lambda x: x * 0.3048 ** 2, ("km/h", "m/s"): lambda x: x * 1000 / 3600, ("h", "h:min"): lambda x: x * 60,
           ("km", "mi"): lambda x: x / 1.609344, ("cm", "in"): lambda x: x / 2.54}


def _bold_value(text, hours):
    bold = re.findall(r"\*\*(.+?)\*\*", text)[-1]
    if hours:
        h, m = map(int, re.findall(r"\d+", bold))
        return h * 60 + m
    return _num(re.findall(NUM, bold)[0])


def test_unit_labels(splits):
    pairs = [p for s in splits.values() for p in s if p.meta["family"] == "units"]
    assert pairs
    for p in pairs:
        c = p.meta["check"]
        truth = FACTORS[(c["from"], c["to"])](c["value"])
        hours = c["from"] == "h"
        assert _bold_value(p.chosen, hours) == pytest.approx(truth, abs=0.011), p.id
        assert abs(_bold_value(p.rejected, hours) - truth) > 0.5, p.id


def _code(text):
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


def _passes(code, name, cases):
    scope = {}
    exec(code, scope)  # noqa: S102 - our own generated code
    try:
        return all(scope[name](*args) == want for args, want in cases)
    except Exception:
        return False


@pytest.fixture(scope="module")
def twin_pairs():
    return generate_split(SynthConfig(n_train=1200, n_test=10, seed=7, families=("code",), code_twins=True), "train")[0]


def test_code_labels(splits, twin_pairs):
    pairs = [p for s in splits.values() for p in s if p.meta["family"] == "code"] + twin_pairs
    assert pairs and any(p.meta["template"] == "code/sum_exclusive" for p in twin_pairs)
    for p in pairs:
        c = p.meta["check"]
        cases = json.loads(json.dumps(c["cases"]))  # as a reader of the JSONL would see them
        assert _passes(_code(p.chosen), c["function"], cases), p.id
        assert not _passes(_code(p.rejected), c["function"], cases), p.id


STOPWORDS = {
    "English": {"the", "and", "your", "you", "at", "before", "after", "with", "a", "to", "of", "in", "for", "on", "are", "some", "here"},
    "Spanish": {"el", "la", "de", "que", "y", "en", "los", "las", "para", "con", "por", "un", "una", "tu", "aquí", "tienes"},
    "French": {"le", "la", "les", "de", "des", "et", "en", "un", "une", "pour", "avec", "vous", "voici", "quelques"},
}


def _language(text):
    words = re.findall(r"[a-zàâçéèêëîïôûùüÿñæœá]+", text.lower())
    return max(STOPWORDS, key=lambda lang: sum(w in STOPWORDS[lang] for w in words))


def _satisfies(text, check, prompt):
    kind = check["constraint"]
    if kind == "bullets":
        return sum(l.startswith("- ") for l in text.splitlines()) == check["n"]
    if kind == "max_words":
        return len(text.split()) <= check["n"]
    if kind == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return False
        return len(data) == check["n"] and all(set(d) == set(check["keys"]) for d in data)
    if kind == "lowercase":
        return text == text.lower()
    if kind == "language":
        return _language(text) == check["language"]
    if kind == "ends_with":
        return text.endswith(check["text"]) and check["text"] in prompt
    if kind == "no_commas":
        return "," not in text
    if kind == "keywords":
        words = set(re.findall(r"[a-z]+", text.lower()))
        return all(w in words and w in prompt for w in check["words"])
    if kind == "forbidden_word":
        return check["word"] not in re.findall(r"[a-z]+", text.lower()) and check["word"] in prompt
    raise AssertionError(kind)


def test_instruction_labels(splits):
    pairs = [p for s in splits.values() for p in s if p.meta["family"] == "instructions"]
    kinds = {p.meta["check"]["constraint"] for p in pairs}
    assert kinds == {"bullets", "max_words", "json", "lowercase", "language", "ends_with", "no_commas",
                     "keywords", "forbidden_word"}
    for p in pairs:
        assert _satisfies(p.chosen, p.meta["check"], p.prompt[0].content), p.id
        assert not _satisfies(p.rejected, p.meta["check"], p.prompt[0].content), p.id


REFUSAL = re.compile(r"\b(can't|won't|not able|cannot|decline|don't feel comfortable)\b", re.I)


def _first_sentence(text):
    return re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]


def test_safety_labels(splits):
    pairs = [p for s in splits.values() for p in s if p.meta["family"].startswith("safety")]
    assert {p.meta["check"]["direction"] for p in pairs} == {"refuse", "respond"}
    for p in pairs:
        refuse = p.meta["check"]["direction"] == "refuse"
        assert bool(REFUSAL.search(_first_sentence(p.chosen))) == refuse, p.id
        assert bool(REFUSAL.search(_first_sentence(p.rejected))) != refuse, p.id


def test_families_are_balanced_and_length_is_not_the_label(splits):
    train = splits["train"]
    per_subset = {s: sum(p.subset == s for p in train) for s in {p.subset for p in train}}
    assert max(per_subset.values()) - min(per_subset.values()) <= 1
    longer = sum(len(p.chosen) > len(p.rejected) for p in train) / len(train)
    assert 0.3 < longer < 0.75, longer
    # within code, the bug makes the function longer about as often as shorter, so "longer code
    # wins" is no shortcut (it was: every training bug dropped a term or a guard)
    code = [p for p in train if p.meta["family"] == "code"]
    assert 0.35 < sum(len(p.chosen) > len(p.rejected) for p in code) / len(code) < 0.65


def test_code_twins_flip_the_label_of_the_same_two_code_versions(twin_pairs):
    """Every twin's two code versions are its twin's two, the other way round, so no surface cue
    of the code ("+ 1", ">=", the longer function) predicts the label; only the prompt does."""
    from rewardkit.data.synth.code import TWINS

    by_code = {}
    for t in TWINS:
        by_code.setdefault(frozenset((t.correct, t.buggy)), []).append(t)
    assert len(TWINS) == 30 and all(len(ts) == 2 for ts in by_code.values())
    for a, b in by_code.values():
        assert (a.correct, a.buggy) == (b.buggy, b.correct) and a.function == b.function and set(a.prompts).isdisjoint(b.prompts)
    # neither of the held-out templates' shapes: a stepped ascending range, slices in strides
    assert not any(re.search(r"range\([^()]*,[^()]*,\s*[^-\s]", t.correct + t.buggy) or "i + " in t.correct for t in TWINS)
    # and the generated pairs: each code version is chosen about as often as it is rejected
    twins = [p for p in twin_pairs if p.meta["template"].split("/")[1] in {t.name for t in TWINS}]
    chosen = {_code(p.chosen) for p in twins}
    assert len(twins) > 500 and chosen == {_code(p.rejected) for p in twins}


def test_code_twins_leave_the_test_split_and_default_training_unchanged():
    with_twins = SynthConfig(n_train=300, n_test=60, seed=3, code_twins=True)
    without = SynthConfig(n_train=300, n_test=60, seed=3)
    assert [p.to_dict() for p in generate_split(with_twins, "test")[0]] == [p.to_dict() for p in generate_split(without, "test")[0]]
    from rewardkit.data.synth.code import TWINS

    train = {p.meta["template"] for p in generate_split(without, "train")[0]}
    assert "code/sum_to_n" in train and train.isdisjoint({f"code/{t.name}" for t in TWINS})
    with pytest.raises(RewardkitError, match="leave out; add code"):
        SynthConfig(families=("math",), code_twins=True)


def test_generate_to_writes_files_and_manifest(tmp_path):
    counts = generate_to(tmp_path, SynthConfig(n_train=30, n_test=12, seed=3, families=("math", "code")))
    assert counts["train"]["pairs"] == 30 and counts["test"]["pairs"] == 12
    assert len(load_pairs(str(tmp_path / "train.jsonl"))) == 30
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["config"]["seed"] == 3 and manifest["heldout_templates"]["code"] == ["multiples", "chunks"]
    assert set(manifest["counts"]["test"]["subsets"]) == {"synth-math", "synth-code"}


def test_exhausted_families_hand_their_share_to_the_others():
    pairs, info = generate_split(SynthConfig(n_train=400, n_test=10, families=("safety-refuse", "math")), "test")
    assert len(pairs) == 10  # the test split needs few pairs: nothing is exhausted
    pairs, info = generate_split(SynthConfig(n_train=1500, n_test=10, families=("safety-respond", "math")), "train")
    assert info["exhausted_families"] == ["safety-respond"] and len(pairs) == 1500
    assert info["subsets"]["synth-math"] > info["subsets"]["synth-safety-respond"]
    with pytest.raises(RewardkitError, match="can hold only"):
        generate_split(SynthConfig(n_train=5000, n_test=10, families=("safety-respond",)), "train")


def test_unknown_family():
    with pytest.raises(RewardkitError, match="known: math, units"):
        SynthConfig(families=("poetry",))
