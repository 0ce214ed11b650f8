"""Two LLM backends behind llama-index's LLM interface: Ollama and an embedded GGUF model.

`auto` uses Ollama when its server answers and has the model, else the embedded model.
An explicit choice that is unavailable fails with LLMError, whose message is for users.
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

import httpx
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms import LLM
from llama_index.core.llms.custom import CustomLLM
from pydantic import PrivateAttr

from .model_file import GGUF_NAME, ModelFileError, assemble_gguf
from .settings import Settings


class LLMError(RuntimeError):
    """The LLM is unavailable, timed out or failed; the message is shown to the user as is."""


# One llama.cpp model per process, whatever the number of Bot objects; loading takes seconds.
_LOADED: dict[str, Any] = {}
_LOAD_LOCK = threading.Lock()


class EmbeddedLLM(CustomLLM):
    """llama-cpp-python's create_chat_completion, which applies the GGUF's own chat template.

    Written here because llama-index-llms-llama-cpp formats prompts itself and ignores the
    template stored in the model file unless one is re-typed by hand.
    """

    model_path: str
    n_ctx: int = 4096
    n_threads: int | None = None
    max_tokens: int = 256
    temperature: float = 0.0
    repeat_penalty: float = 1.1  # Qwen's recommended range; curbs the loops a 1.5B model falls into
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _template: Any = PrivateAttr(default=None)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.n_ctx, num_output=self.max_tokens, is_chat_model=True, model_name=GGUF_NAME
        )

    @property
    def llama(self):
        with _LOAD_LOCK:
            if self.model_path not in _LOADED:
                from llama_cpp import Llama

                _LOADED[self.model_path] = Llama(
                    model_path=self.model_path,
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    verbose=False,
                )
            return _LOADED[self.model_path]

    def _messages(self, messages: Sequence[ChatMessage]) -> list[dict]:
        return [{"role": m.role.value, "content": m.content or ""} for m in messages]

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        text = "".join(r.delta or "" for r in self.stream_chat(messages, **kwargs))
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    def _formatter(self):
        """The GGUF's own chat template as llama-cpp-python's formatter (compiled once)."""
        if self._template is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            llama = self.llama
            eos, bos = llama.token_eos(), llama.token_bos()
            text = lambda t: llama._model.token_get_text(t) if t != -1 else ""  # noqa: E731  (as llama-cpp-python does)
            self._template = Jinja2ChatFormatter(
                template=llama.metadata["tokenizer.chat_template"], eos_token=text(eos), bos_token=text(bos),
                stop_token_ids=[eos],
            )
        return self._template

    def raw_stream(self, turns: list[dict], stop: list[str] | None = None, **options: Any):
        """Text deltas straight from llama.cpp for role/content `turns` (no lock, no wrapping).

        A last assistant message is continued, as Ollama and transformers do ("assistant
        prefill"): create_chat_completion would close it and open a new one, so the template
        renders the turns before it and its text is appended to the prompt.
        """
        llama = self.llama
        if turns and turns[-1]["role"] == "assistant":
            rendered = self._formatter()(messages=turns[:-1])
            template_stop = rendered.stop if isinstance(rendered.stop, list) else [rendered.stop] if rendered.stop else []
            for chunk in llama.create_completion(rendered.prompt + turns[-1]["content"], stop=[*(stop or []), *template_stop],
                                                 stream=True, **options):
                yield chunk["choices"][0]["text"]
        else:
            for chunk in llama.create_chat_completion(messages=turns, stop=stop, stream=True, **options):
                yield chunk["choices"][0]["delta"].get("content") or ""

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


def ollama_models(settings: Settings, timeout: float = 2.0) -> list[str] | None:
    """Model names the Ollama server offers, or None when no server answers."""
    try:
        r = httpx.get(f"{settings.ollama_host.rstrip('/')}/api/tags", timeout=timeout)
        r.raise_for_status()
        return [m.get("name") or m.get("model", "") for m in r.json().get("models", [])]
    except (httpx.HTTPError, ValueError):
        return None


def _has_model(available: list[str], name: str) -> bool:
    return name in available or (":" not in name and f"{name}:latest" in available)


def make_ollama(settings: Settings) -> LLM:
    from llama_index.llms.ollama import Ollama

    return Ollama(
        model=settings.ollama_model,
        base_url=settings.ollama_host,
        temperature=settings.temperature,
        request_timeout=settings.request_timeout,
        context_window=settings.n_ctx,
        additional_kwargs={"num_predict": settings.max_tokens, "repeat_penalty": 1.1},
    )


def make_embedded(settings: Settings) -> LLM:
    try:
        path = assemble_gguf(settings.model_dir)
    except ModelFileError as e:
        raise LLMError(str(e)) from None
    return EmbeddedLLM(
        model_path=str(path),
        n_ctx=settings.n_ctx,
        n_threads=settings.n_threads,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
    )


def choose_backend(settings: Settings) -> tuple[str, LLM, str]:
    """(backend name, llm, model name) for the configured backend."""
    choice = settings.llm_backend
    if choice in ("auto", "ollama"):
        available = ollama_models(settings)
        if available is not None and _has_model(available, settings.ollama_model):
            return "ollama", make_ollama(settings), settings.ollama_model
        if choice == "ollama":
            if available is None:
                raise LLMError(f"Ollama is not reachable at {settings.ollama_host} (set OLLAMA_HOST, or use --backend embedded)")
            raise LLMError(
                f"Ollama at {settings.ollama_host} has no model {settings.ollama_model!r} "
                f"(it has: {', '.join(available) or 'none'}); pull it there or pick another with --model"
            )
    return "embedded", make_embedded(settings), GGUF_NAME.removesuffix(".gguf")


def describe_error(e: BaseException, settings: Settings) -> str:
    """Words for a failure raised while talking to an LLM backend."""
    if isinstance(e, LLMError):
        return str(e)
    if isinstance(e, httpx.TimeoutException):
        return f"the language model did not answer within {settings.request_timeout:.0f} s; try again or ask something shorter"
    if isinstance(e, (httpx.ConnectError, ConnectionError)):
        return f"the language model server at {settings.ollama_host} stopped answering"
    if isinstance(e, httpx.RemoteProtocolError):
        return "the language model server closed the connection in the middle of the answer"
    name = type(e).__name__
    if name == "ResponseError":  # ollama's error type carries the server's own message
        return f"the language model server refused the request: {getattr(e, 'error', e)}"
    return f"the language model failed ({name}: {e})"
