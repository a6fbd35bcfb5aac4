"""Where a judge's words come from. One interface, three backends:

* `TransformersBackend`: any causal LM folder or hub id, or the embedded ``smollm2`` GGUF;
  batched greedy generation with left padding (inputs sorted by length), and one-forward-pass
  verdict probabilities.
* `LlamaCppBackend`: a GGUF through ``llama-cpp-python`` (optional extra: it compiles on install).
* `OpenAIBackend`: any OpenAI-compatible chat server (vLLM, llama.cpp's server, hosted APIs),
  with a concurrency limit, timeouts, and retries with exponential backoff (the ``openai``
  client's, which also honours Retry-After).

``generate(chats, max_new_tokens)`` returns one completion per chat. ``choice_probs(chats,
prefix, choices)`` returns, per chat, the probabilities (p_first, p_second) of the two verdict
strings at the verdict position, i.e. right after the answer has started with `prefix`; None where
the backend could not read them.

Verdict position, for local models: the rendered chat (generation prompt included) + `prefix` +
each choice is tokenized, and the verdict position is where the two token sequences first
differ, so token merges across the prefix/choice boundary cannot misplace it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, runtime_checkable

from rewardkit.errors import MissingPackageError, RewardkitError
from rewardkit.models.loading import autocast, cast_once, output_head_in_fp32

Chat = list[dict[str, str]]
Progress = Callable[[int], None] | None


@runtime_checkable
class JudgeBackend(Protocol):
    name: str  # identifies the model in cache keys and reports

    def generate(self, chats: Sequence[Chat], max_new_tokens: int, on_done: Progress = None) -> list[str]: ...

    def choice_probs(self, chats: Sequence[Chat], prefix: str, choices: tuple[str, str],
                     on_done: Progress = None) -> list[tuple[float, float] | None]: ...

    def sample(self, chats: Sequence[Chat], max_new_tokens: int, n: int, temperature: float, seed: int = 0,
               on_done: Progress = None) -> list[list[str]]: ...


def plain_chat_text(chat: Chat) -> str:
    """The fallback rendering for tokenizers without a chat template."""
    return "".join(f"{m['role'].capitalize()}: {m['content']}\n\n" for m in chat if m["content"] or m["role"] != "system") + "Assistant:"


def render_chat(tokenizer: Any, chat: Chat) -> str:
    """The text a transformers judge reads: the tokenizer's chat template with the generation
    prompt, or `plain_chat_text` without one. Training (`rewardkit.train.judge`) renders the same way."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    return plain_chat_text(chat)


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def verdict_tokens(encode: Callable[[str], list[int]], text: str, choices: tuple[str, str]) -> tuple[list[int], int, int]:
    """(context ids, first choice's token, second choice's token) at the verdict position."""
    first, second = encode(text + choices[0]), encode(text + choices[1])
    k = common_prefix_length(first, second)
    if k >= len(first) or k >= len(second):
        raise RewardkitError(f"the verdict choices {choices!r} do not differ in their tokens after the prefix")
    return first[:k], first[k], second[k]


class TransformersBackend:
    """A causal LM through transformers (fp32, or bf16 autocast), batched, left padded."""

    def __init__(self, model: str, *, batch_size: int = 8, bf16: bool | None = None, device: str | None = None,
                 max_length: int | None = None, options: Any = None) -> None:
        import torch
        from transformers import AutoModelForCausalLM
        from transformers.utils import logging as hf_logging

        from rewardkit.data.tokens import load_tokenizer
        from rewardkit.embedded import resolve
        from rewardkit.models.loading import LoadOptions, default_device

        options = options or LoadOptions(bf16=bf16)
        where, extra = resolve(model)
        self.name = model
        self.tokenizer = load_tokenizer(model, trust_remote_code=options.trust_remote_code)
        device = device or default_device()
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            self.model = AutoModelForCausalLM.from_pretrained(where, **options.from_pretrained_kwargs(device), **extra)
        except (OSError, ValueError) as e:
            raise RewardkitError(f"cannot load judge model {model!r}: {' '.join(str(e).split())[:400]}") from None
        finally:
            hf_logging.set_verbosity(verbosity)
        if getattr(self.model, "hf_device_map", None):
            self.device = str(self.model.device)
        else:
            self.device = device
            self.model.to(self.device)
        self.model.eval()
        if self.tokenizer.pad_token_id is None:
            if self.tokenizer.eos_token_id is None:
                raise RewardkitError(f"{model}: the tokenizer has neither a pad nor an EOS token")
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.pad_id = self.tokenizer.pad_token_id
        self.batch_size = batch_size
        self.bf16 = options.autocast(self.device)
        self.load_options = options.resolved(self.device)
        self.max_length = max_length or getattr(self.model.config, "max_position_embeddings", None) or 4096
        self.truncated = 0
        self._torch = torch

    def render(self, chat: Chat) -> str:
        return render_chat(self.tokenizer, chat)

    def encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def _fit(self, ids: list[int], room: int) -> list[int]:
        """Keep the end of an over-long input (where the answers and the verdict request are), counted."""
        limit = self.max_length - room
        if len(ids) > limit:
            self.truncated += 1
            return ids[-limit:]
        return ids

    def _batches(self, inputs: list[list[int]]):
        order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            width = max(len(inputs[i]) for i in idx)
            ids = [[self.pad_id] * (width - len(inputs[i])) + inputs[i] for i in idx]
            mask = [[0] * (width - len(inputs[i])) + [1] * len(inputs[i]) for i in idx]
            yield idx, self._torch.tensor(ids, device=self.device), self._torch.tensor(mask, device=self.device)

    def _autocast(self):
        return autocast(self.device, self.bf16)

    def generate(self, chats: Sequence[Chat], max_new_tokens: int, on_done: Progress = None) -> list[str]:
        inputs = [self._fit(self.encode(self.render(c)), max_new_tokens) for c in chats]
        out: list[str] = [""] * len(inputs)
        with cast_once(self.model, self.device, self.bf16):  # the weights cast to bf16 once per call
            for idx, ids, mask in self._batches(inputs):
                with self._torch.no_grad(), self._autocast():  # not inference_mode: see cast_once
                    generated = self.model.generate(
                        input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens, do_sample=False,
                        temperature=None, top_p=None, top_k=None, pad_token_id=self.pad_id,
                    )
                for row, i in enumerate(idx):
                    out[i] = self.tokenizer.decode(generated[row, ids.shape[1]:], skip_special_tokens=True)
                if on_done:
                    on_done(len(idx))
        return out

    def sample(self, chats: Sequence[Chat], max_new_tokens: int, n: int, temperature: float, seed: int = 0,
               on_done: Progress = None) -> list[list[str]]:
        """`n` sampled answers per chat: batched, KV-cached `generate`, with each prompt's prefill
        computed once and its cache shared by the `n` samples (`shared_prefill`); each batch is
        seeded from `seed`, so a rerun of the same chats gives the same answers."""
        inputs = [self._fit(self.encode(self.render(c)), max_new_tokens) for c in chats]
        out: list[list[str]] = [[] for _ in inputs]
        with cast_once(self.model, self.device, self.bf16):  # the weights cast to bf16 once per call
            for idx, ids, mask in self._batches(inputs):
                self._torch.manual_seed(seed)
                with self._torch.no_grad(), self._autocast():  # not inference_mode: see cast_once
                    cache = self.shared_prefill(ids, mask, n)
                    generated = self.model.generate(
                        input_ids=ids.repeat_interleave(n, 0), attention_mask=mask.repeat_interleave(n, 0), past_key_values=cache,
                        max_new_tokens=max_new_tokens, do_sample=True, temperature=temperature, top_p=None, top_k=None,
                        pad_token_id=self.pad_id,
                    )
                for row, i in enumerate(idx):
                    out[i] = [self.tokenizer.decode(generated[row * n + j, ids.shape[1]:], skip_special_tokens=True) for j in range(n)]
                if on_done:
                    on_done(len(idx))
        return out

    def shared_prefill(self, ids: Any, mask: Any, n: int) -> Any:
        """The KV cache of every prompt but its last token, computed once per prompt and repeated
        for its `n` samples (``generate(num_return_sequences=n)`` runs the prefill `n` times, and
        on a judge prompt of ~700 tokens the prefill is most of the work). Positions follow the
        left padding as `generate` computes them, so the continuation is the same computation."""
        from transformers import DynamicCache

        if ids.shape[1] < 2:
            return None  # nothing to share: generate runs the one-token prefill itself
        positions = (mask.long().cumsum(-1) - 1).clamp(min=0)
        cache = DynamicCache(config=self.model.config)
        self.model(input_ids=ids[:, :-1], attention_mask=mask[:, :-1], position_ids=positions[:, :-1], past_key_values=cache,
                   use_cache=True)
        cache.batch_repeat_interleave(n)
        return cache

    def choice_probs(self, chats: Sequence[Chat], prefix: str, choices: tuple[str, str],
                     on_done: Progress = None) -> list[tuple[float, float] | None]:
        inputs, targets = [], []
        for chat in chats:
            context, a, b = verdict_tokens(self.encode, self.render(chat) + prefix, choices)
            inputs.append(self._fit(context, 0))
            targets.append((a, b))
        out: list[tuple[float, float] | None] = [None] * len(inputs)
        # the output layer in fp32: bf16 logits tie close verdicts at 0.5 (`output_head_in_fp32`)
        with cast_once(self.model, self.device, self.bf16), output_head_in_fp32(self.model):
            for idx, ids, mask in self._batches(inputs):
                with self._torch.no_grad(), self._autocast():  # not inference_mode: see cast_once
                    logits = self.model(input_ids=ids, attention_mask=mask, logits_to_keep=1).logits[:, -1, :].float()
                logprobs = self._torch.log_softmax(logits, dim=-1)
                for row, i in enumerate(idx):
                    a, b = targets[i]
                    out[i] = (math.exp(logprobs[row, a].item()), math.exp(logprobs[row, b].item()))
                if on_done:
                    on_done(len(idx))
        return out


class LlamaCppBackend:
    """A GGUF model through llama-cpp-python (``pip install llama-cpp-python``; compiles on install)."""

    def __init__(self, model: str, *, n_ctx: int = 8192, n_threads: int | None = None) -> None:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise MissingPackageError(
                "the llama.cpp backend needs llama-cpp-python: pip install 'rewardkit[llama-cpp]' "
                "(it compiles llama.cpp, 3-6 minutes on 2 cores)"
            ) from None
        from pathlib import Path

        from rewardkit.embedded import resolve

        where, extra = resolve(model)
        path = Path(where) / extra["gguf_file"] if "gguf_file" in extra else Path(where)
        if not path.is_file():
            raise RewardkitError(f"llama.cpp needs a .gguf file; {model!r} resolves to {path}")
        self.name = model
        self.llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, logits_all=False, verbose=False)

    def render(self, chat: Chat) -> str:
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            return plain_chat_text(chat)
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        eos = self.llm.detokenize([self.llm.token_eos()]).decode(errors="ignore")
        bos = self.llm.detokenize([self.llm.token_bos()]).decode(errors="ignore")
        return env.from_string(template).render(messages=chat, add_generation_prompt=True, eos_token=eos, bos_token=bos)

    def encode(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def generate(self, chats: Sequence[Chat], max_new_tokens: int, on_done: Progress = None) -> list[str]:
        out = []
        for chat in chats:
            r = self.llm.create_chat_completion(messages=chat, max_tokens=max_new_tokens, temperature=0.0)
            out.append(r["choices"][0]["message"]["content"] or "")
            if on_done:
                on_done(1)
        return out

    def sample(self, chats: Sequence[Chat], max_new_tokens: int, n: int, temperature: float, seed: int = 0,
               on_done: Progress = None) -> list[list[str]]:
        out = []
        for chat in chats:
            answers = []
            for j in range(n):
                r = self.llm.create_chat_completion(messages=chat, max_tokens=max_new_tokens, temperature=temperature, seed=seed + j)
                answers.append(r["choices"][0]["message"]["content"] or "")
            out.append(answers)
            if on_done:
                on_done(1)
        return out

    def choice_probs(self, chats: Sequence[Chat], prefix: str, choices: tuple[str, str],
                     on_done: Progress = None) -> list[tuple[float, float] | None]:
        import numpy as np

        out: list[tuple[float, float] | None] = []
        for chat in chats:
            context, a, b = verdict_tokens(self.encode, self.render(chat) + prefix, choices)
            self.llm.reset()
            self.llm.eval(context)
            logits = np.asarray(self.llm.scores[self.llm.n_tokens - 1], dtype=np.float64)
            logprobs = logits - logits.max() - np.log(np.exp(logits - logits.max()).sum())
            out.append((float(np.exp(logprobs[a])), float(np.exp(logprobs[b]))))
            if on_done:
                on_done(1)
        return out


class OpenAIBackend:
    """Any OpenAI-compatible chat completions server.

    Requests run `concurrency` at a time; each has `timeout` seconds and up to `max_retries`
    retries with exponential backoff on connection errors, timeouts, 408/409/429 and 5xx (the
    ``openai`` client's policy). Logprob verdicts ask for ``logprobs`` with ``top_logprobs`` and
    read the two choices at the first generated token that follows `prefix`; servers that do not
    return logprobs give None (the judge then parses the text).
    """

    def __init__(self, model: str, base_url: str, *, api_key: str | None = None, concurrency: int = 8,
                 timeout: float = 120.0, max_retries: int = 5, top_logprobs: int = 20) -> None:
        import os

        from openai import OpenAI

        self.name = f"openai:{model}@{base_url}"
        self.model = model
        self.concurrency = max(1, concurrency)
        self.top_logprobs = top_logprobs
        self.client = OpenAI(base_url=base_url, api_key=api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY",
                             timeout=timeout, max_retries=max_retries)

    def _map(self, fn: Callable[[Chat], Any], chats: Sequence[Chat], on_done: Progress) -> list[Any]:
        import openai

        def call(chat: Chat) -> Any:
            try:
                result = fn(chat)
            except openai.APIError as e:
                raise RewardkitError(f"{self.name}: request failed after retries: {e}") from None
            if on_done:
                on_done(1)
            return result

        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(call, chats))

    def generate(self, chats: Sequence[Chat], max_new_tokens: int, on_done: Progress = None) -> list[str]:
        def one(chat: Chat) -> str:
            r = self.client.chat.completions.create(model=self.model, messages=chat, max_tokens=max_new_tokens, temperature=0)
            return r.choices[0].message.content or ""

        return self._map(one, chats, on_done)

    def sample(self, chats: Sequence[Chat], max_new_tokens: int, n: int, temperature: float, seed: int = 0,
               on_done: Progress = None) -> list[list[str]]:
        """`n` answers per chat in one request (``n``; vLLM and OpenAI support it), seeded."""
        def one(chat: Chat) -> list[str]:
            r = self.client.chat.completions.create(model=self.model, messages=chat, max_tokens=max_new_tokens,
                                                    temperature=temperature, n=n, seed=seed)
            return [c.message.content or "" for c in sorted(r.choices, key=lambda c: c.index)]

        return self._map(one, chats, on_done)

    def choice_probs(self, chats: Sequence[Chat], prefix: str, choices: tuple[str, str],
                     on_done: Progress = None) -> list[tuple[float, float] | None]:
        def one(chat: Chat) -> tuple[float, float] | None:
            r = self.client.chat.completions.create(
                model=self.model, messages=chat, max_tokens=max(8, len(prefix) + 4), temperature=0,
                logprobs=True, top_logprobs=self.top_logprobs,
            )
            content = r.choices[0].logprobs.content if r.choices[0].logprobs else None
            return probs_after_prefix(
                [(t.token, {c.token: c.logprob for c in (t.top_logprobs or [])}) for t in content or []], prefix, choices
            )

        return self._map(one, chats, on_done)


def probs_after_prefix(tokens: Sequence[tuple[str, dict[str, float]]], prefix: str,
                       choices: tuple[str, str]) -> tuple[float, float] | None:
    """From generated (token, top logprobs) pairs: the choices' probabilities at the first token
    generated after the text so far ends with `prefix` (whitespace-insensitive); None if absent."""
    text = ""
    want = prefix.strip()
    for token, top in tokens:
        if text.rstrip().endswith(want):
            probs = [0.0, 0.0]
            for cand, lp in top.items():
                for k, choice in enumerate(choices):
                    if cand.strip() == choice:
                        probs[k] += math.exp(lp)
            return (probs[0], probs[1]) if any(probs) else None
        text += token
    return None
