"""Hypothesis strategies for bad input: rows of the wrong shape, bytes that are not UTF-8 or not
JSON, broken containers, and option values out of range."""

from __future__ import annotations

import gzip
import io
import json

from hypothesis import strategies as st

KEYS = ["id", "prompt", "chosen", "rejected", "source", "subset", "margin", "scores", "meta", "role", "content", "extra",
        "response", "responses"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                           st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)),
                           max_leaves=8)
messages = st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "robot", 3]),
                                           "content": st.one_of(st.text(max_size=10), st.integers())}), max_size=3)
good_rows = st.builds(lambda i, q, a, b: {"id": f"r{i}", "prompt": q, "chosen": a, "rejected": b},
                      st.integers(0, 5), st.text(min_size=1, max_size=12), st.text(max_size=12), st.text(max_size=12))
bad_rows = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6),
    st.builds(lambda r, k, v: {**r, k: v}, good_rows, st.sampled_from(KEYS), json_values),
    st.builds(lambda r, m: {**r, "prompt": m}, good_rows, messages),
    json_values,
)
rows = st.lists(st.one_of(good_rows, bad_rows), max_size=6)


def _line(row) -> bytes:
    return json.dumps(row, allow_nan=True).encode()


raw_lines = st.one_of(
    st.builds(_line, st.one_of(good_rows, bad_rows)),
    st.binary(max_size=20),  # anything: bad UTF-8, bad JSON
    st.builds(lambda r, cut: _line(r)[:cut], good_rows, st.integers(0, 30)),  # truncated JSON
    st.just(b""), st.just(b"\xef\xbb\xbf{}"),
)


@st.composite
def data_files(draw) -> tuple[str, bytes]:
    """(suffix, content) of a data file: JSONL, gzip, JSON arrays, Parquet, each whole or damaged."""
    kind = draw(st.sampled_from(["jsonl", "jsonl", "jsonl.gz", "json", "parquet", "bytes"]))
    lines = draw(st.lists(raw_lines, max_size=6))
    body = b"\n".join(lines) + (b"\n" if lines and draw(st.booleans()) else b"")
    if kind == "jsonl":
        return ".jsonl", body
    if kind == "jsonl.gz":
        blob = gzip.compress(body)
        damage = draw(st.sampled_from(["none", "truncate", "flip"]))
        if damage == "truncate" and len(blob) > 4:
            blob = blob[: draw(st.integers(1, len(blob) - 1))]
        elif damage == "flip" and len(blob) > 12:
            i = draw(st.integers(10, len(blob) - 1))
            blob = blob[:i] + bytes([blob[i] ^ 0xFF]) + blob[i + 1:]
        return ".jsonl.gz", blob
    if kind == "json":
        value = draw(st.one_of(st.lists(st.one_of(good_rows, bad_rows), max_size=5), json_values))
        text = json.dumps(value, indent=draw(st.sampled_from([None, 1])), allow_nan=True).encode()
        if draw(st.booleans()):
            text = text[: draw(st.integers(0, len(text)))] + draw(st.binary(max_size=4))
        return ".json", text
    if kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table_rows = draw(st.lists(good_rows, min_size=1, max_size=5))
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(table_rows), sink)
        blob = sink.getvalue()
        if draw(st.booleans()) and len(blob) > 8:
            i = draw(st.integers(4, len(blob) - 5))
            blob = blob[:i] + draw(st.binary(min_size=1, max_size=16)) + blob[i + 16:]
        return ".parquet", blob
    return draw(st.sampled_from([".jsonl", ".json", ".parquet", ".jsonl.gz"])), draw(st.binary(max_size=64))


ints = st.integers(-3, 4)
policies = st.one_of(st.sampled_from(["error", "skip", "keep"]), st.text(max_size=5))
