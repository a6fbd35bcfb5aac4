"""Tokenizers: loading by name, and a raw fast tokenizer for counting and formatting.

`raw_backend` returns a copy of the Rust tokenizer behind a transformers tokenizer with its
truncation and padding switched off: some shipped ``tokenizer.json`` files carry a truncation
setting (the embedded MiniLM one truncates at 128 tokens), which would silently shorten counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rewardkit.errors import RewardkitError

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerBase


def load_tokenizer(name_or_path: str, **kwargs: Any) -> "PreTrainedTokenizerBase":
    """A transformers tokenizer for an embedded name, a folder, a .gguf file or a hub id."""
    from transformers import AutoTokenizer

    from rewardkit.embedded import resolve

    where, extra = resolve(name_or_path)
    try:
        return AutoTokenizer.from_pretrained(where, **extra, **kwargs)
    except (OSError, ValueError, TypeError) as e:
        raise RewardkitError(
            f"cannot load tokenizer {name_or_path!r}: not an embedded model (minilm, smollm2), "
            f"not a local folder, and the Hugging Face Hub did not provide it ({' '.join(str(e).split())[:400]})"
        ) from None


def raw_backend(tokenizer: "PreTrainedTokenizerBase") -> "Tokenizer":
    """A copy of the fast (Rust) tokenizer with truncation and padding off."""
    from tokenizers import Tokenizer

    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise RewardkitError(
            f"tokenizer {type(tokenizer).__name__} has no fast (tokenizers) backend; rewardkit needs one"
        )
    raw = Tokenizer.from_str(backend.to_str())
    raw.no_truncation()
    raw.no_padding()
    return raw
