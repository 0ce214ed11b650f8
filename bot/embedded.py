"""The embedded backend: a GGUF model run in this process by llama.cpp, behind llama-index's LLM
interface, each prompt started from the saved state of its system prompt (see _prepare)."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any, Sequence

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms.custom import CustomLLM
from pydantic import PrivateAttr

from .files import keep_newest
from .llm import load_llama
from .model_file import GGUF_NAME, GGUF_SHA256

# Per model: the prompt tokens of its last generation (see EmbeddedLLM._prepare), and the
# llama.cpp state after each fixed prompt head evaluated so far (bytes, keyed by _state_key).
_LAST_PROMPT: dict[str, list[int]] = {}
_HEAD_STATES: dict[str, bytes] = {}
STATE_MAGIC = b"kz-bot prompt-head state 1\n"
STATE_FILES_KEPT = 4  # one per system prompt in use; older ones are deleted


def _plain_params(params) -> dict:
    """The llama.cpp parameters that are plain values (sizes, types, threads, flags), not pointers."""
    plain = (ctypes.c_bool, ctypes.c_int, ctypes.c_int32, ctypes.c_uint32, ctypes.c_float)
    return {name: getattr(params, name) for name, kind in params._fields_ if kind in plain}


def _state_bytes(llama) -> bytes:
    import llama_cpp

    size = llama_cpp.llama_state_get_size(llama._ctx.ctx)
    buf = (ctypes.c_uint8 * size)()
    n = llama_cpp.llama_state_get_data(llama._ctx.ctx, buf, size)
    return memoryview(buf)[:n].tobytes()


def _set_state(llama, data: bytes, tokens: list[int]) -> bool:
    """Put the context back to `data` (from _state_bytes after evaluating `tokens`)."""
    import llama_cpp

    buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    if llama_cpp.llama_state_set_data(llama._ctx.ctx, buf, len(data)) != len(data):
        return False
    llama.input_ids[: len(tokens)] = tokens
    llama.n_tokens = len(tokens)
    llama._requires_eval = True
    return True


def read_state_file(path: Path, key: str) -> bytes | None:
    """The state saved under `key`, or None if the file is missing, for another key, or damaged."""
    try:
        with open(path, "rb") as f:
            if f.readline() != STATE_MAGIC:
                return None
            head = json.loads(f.readline())
            data = f.read()
    except (OSError, ValueError):
        return None
    if head.get("key") != key or head.get("sha256") != hashlib.sha256(data).hexdigest():
        return None
    return data


def write_state_file(path: Path, key: str, data: bytes) -> None:
    """Save atomically, keeping the newest STATE_FILES_KEPT files; a cache we cannot write is skipped."""
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(STATE_MAGIC + json.dumps({"key": key, "sha256": hashlib.sha256(data).hexdigest()}).encode() + b"\n" + data)
        os.replace(tmp, path)
        keep_newest(path.parent, "head-*.state", STATE_FILES_KEPT)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


class EmbeddedLLM(CustomLLM):
    """llama-cpp-python with the GGUF's own chat template, as its create_chat_completion applies it.

    Written here because llama-index-llms-llama-cpp formats prompts itself and ignores the
    template stored in the model file unless one is re-typed by hand.
    """

    model_path: str
    state_dir: str | None = None  # where prompt-head states are saved for the next process (None: kept in memory only)
    n_ctx: int = 4096
    n_threads: int | None = None
    max_tokens: int = 256
    temperature: float = 0.0
    repeat_penalty: float = 1.1  # Qwen's recommended range; curbs the loops a 1.5B model falls into
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _template: Any = PrivateAttr(default=None)
    _head_template: Any = PrivateAttr(default=None)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.n_ctx, num_output=self.max_tokens, is_chat_model=True, model_name=GGUF_NAME
        )

    @property
    def llama(self):
        return load_llama(self.model_path, self.n_ctx, self.n_threads)

    def _messages(self, messages: Sequence[ChatMessage]) -> list[dict]:
        return [{"role": m.role.value, "content": m.content or ""} for m in messages]

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        text = "".join(r.delta or "" for r in self.stream_chat(messages, **kwargs))
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    def _formatter(self, head: bool = False):
        """The GGUF's own chat template as llama-cpp-python's formatter (compiled once); `head`:
        without the assistant header at the end, to render the turns a prompt starts with."""
        if self._template is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            llama = self.llama
            eos, bos = llama.token_eos(), llama.token_bos()
            text = lambda t: llama._model.token_get_text(t) if t != -1 else ""  # noqa: E731  (as llama-cpp-python does)
            kwargs = dict(template=llama.metadata["tokenizer.chat_template"], eos_token=text(eos), bos_token=text(bos),
                          stop_token_ids=[eos])
            self._template = Jinja2ChatFormatter(**kwargs)
            self._head_template = Jinja2ChatFormatter(**kwargs, add_generation_prompt=False)
        return self._head_template if head else self._template

    def raw_stream(self, turns: list[dict], stop: list[str] | None = None, **options: Any):
        """Text deltas straight from llama.cpp for role/content `turns` (no lock, no wrapping).

        A last assistant message is continued, as Ollama and transformers do ("assistant
        prefill"): create_chat_completion would close it and open a new one, so the template
        renders the turns before it and its text is appended to the prompt. Otherwise the
        prompt, stops and stopping criteria are the ones create_chat_completion's handler
        makes from the same template; both are tokenized here, as llama-cpp-python would, so
        that _prepare sees the tokens that are evaluated.
        """
        llama = self.llama
        prefill = bool(turns) and turns[-1]["role"] == "assistant"
        rendered = self._formatter()(messages=turns[:-1] if prefill else turns)
        template_stop = rendered.stop if isinstance(rendered.stop, list) else [rendered.stop] if rendered.stop else []
        prompt = rendered.prompt + (turns[-1]["content"] if prefill else "")
        tokens = llama.tokenize(prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True)
        self._prepare(llama, turns, tokens)
        for chunk in llama.create_completion(tokens, stop=[*(stop or []), *template_stop], stream=True,
                                             stopping_criteria=None if prefill else rendered.stopping_criteria, **options):
            yield chunk["choices"][0]["text"]

    # -- the prompt head's KV state ---------------------------------------------------------
    # Every answer's prompt starts with the same system message. llama-cpp-python keeps the
    # longest prefix a new prompt shares with the last one in the context, so a warm process
    # did not evaluate it again but a cold one did, and an answer depended on what was asked
    # before it: the reused part had been evaluated in other batches, and with greedy decoding
    # last-bit differences changed words ("crush a wave of protests" vs "crush protests").
    # So each new prompt starts from the same state, the context after evaluating the head
    # alone, restored from memory or from a file saved by an earlier process, and the rest is
    # evaluated from there: cold and warm processes run the same computation and give the same
    # answer. Written here because llama-cpp-python's LlamaRAMCache/LlamaDiskCache store whole
    # Llama.save_state() objects (with a copy of the 512 x 151,936 float logits array, 311 MB)
    # keyed by full prompts, and llama_state_save_file has no check of its content.

    def _prepare(self, llama, turns: list[dict], tokens: list[int]) -> None:
        """Set the context up for a generation from `tokens` (see above)."""
        last = _LAST_PROMPT.get(self.model_path)
        _LAST_PROMPT[self.model_path] = tokens
        if last and len(tokens) > len(last) and tokens[: len(last)] == last:
            return  # the same answer continued (its added fact): llama-cpp-python keeps what it can
        head = self._head_tokens(llama, turns)
        if not head or len(tokens) <= len(head) or tokens[: len(head)] != head:
            return  # no system message to start from: as llama-cpp-python does it
        key = self._state_key(llama, head)
        path = Path(self.state_dir) / f"head-{key[:24]}.state" if self.state_dir else None
        data = _HEAD_STATES.get(key)
        if data is None and path and (data := read_state_file(path, key)) is not None:
            with contextlib.suppress(OSError):
                os.utime(path)  # in use: the newest files are the ones kept
        if data is None or not _set_state(llama, data, head):
            llama.reset()
            llama.eval(head)
            data = _state_bytes(llama)
            if path:
                write_state_file(path, key, data)
        _HEAD_STATES[key] = data

    def _head_tokens(self, llama, turns: list[dict]) -> list[int] | None:
        if not turns or turns[0]["role"] != "system":
            return None
        rendered = self._formatter(head=True)(messages=turns[:1])
        return llama.tokenize(rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True)

    def _state_key(self, llama, head: list[int]) -> str:
        """What the saved state depends on: model file, llama.cpp build and CPU, context and model
        parameters (the weights' layout changes the numbers), tokens."""
        import llama_cpp

        st = os.stat(self.model_path)
        ident = [GGUF_SHA256 if Path(self.model_path).name == GGUF_NAME else "", st.st_size, st.st_mtime_ns, st.st_ino,
                 llama_cpp.__version__, llama_cpp.llama_print_system_info().decode(errors="replace"),
                 _plain_params(llama.context_params), _plain_params(llama.model_params), head]
        return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        turns = self._messages(messages)
        options = dict(
            max_tokens=kwargs.get("max_tokens", self.max_tokens),
            temperature=self.temperature,
            repeat_penalty=self.repeat_penalty,
        )

        def gen() -> ChatResponseGen:
            # llama.cpp contexts are not re-entrant: one generation at a time per model.
            with self._lock:
                text = ""
                for delta in self.raw_stream(turns, kwargs.get("stop"), **options):
                    if delta:
                        text += delta
                        yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=delta)

        return gen()

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        r = self.chat([ChatMessage(role=MessageRole.USER, content=prompt)], **kwargs)
        return CompletionResponse(text=r.message.content or "")

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        for r in self.stream_chat([ChatMessage(role=MessageRole.USER, content=prompt)], **kwargs):
            yield CompletionResponse(text=r.message.content or "", delta=r.delta)
