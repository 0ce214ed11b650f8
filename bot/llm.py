"""Which LLM backend answers: Ollama or the embedded GGUF model (bot/embedded.py), both behind
llama-index's LLM interface.

`auto` uses Ollama when its server answers and has the model, else the embedded model.
An explicit choice that is unavailable fails with LLMError, whose message is for users.
This module imports neither llama-index nor llama-cpp-python at its top, so that a cold `bot ask`
can start loading the model (`preload`) before those slow imports are done.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import httpx

from .model_file import GGUF_NAME, ModelFileError, assemble_gguf
from .settings import Settings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM


class LLMError(RuntimeError):
    """The LLM is unavailable, timed out or failed; the message is shown to the user as is."""


# One llama.cpp model per process, whatever the number of Bot objects; loading takes seconds.
_LOADED: dict[str, Any] = {}
_LOAD_LOCK = threading.Lock()


def usable_cores() -> int:
    """The cores this process may run on (a pinned or cpuset-limited process has fewer than the machine)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def load_llama(model_path: str, n_ctx: int, n_threads: int | None):
    """The process's llama.cpp model for `model_path`, loaded on first use."""
    with _LOAD_LOCK:
        if model_path not in _LOADED:
            import llama_cpp.llama as module
            from llama_cpp import Llama

            # No CPU_REPACK buffers: by default llama.cpp copies 597 MB of the Q4_K weights into
            # an interleaved layout (q4_K_8x8) at load, and on the 2-core x86 machines here that
            # layout is slower where the time goes: a 700-token prompt took 4.3 s with it and
            # 2.7 s without, the load 0.79 s against 0.36 s; generation is 8 % slower
            # (bench, 2026-12-04); on an Intel Xeon with AMX (2026-12-05) the first prompt
            # evaluated with it crashed the process (segfault in llama.cpp's AMX buffers), with the
            # plain layout it runs. Llama() has no argument for it, so its default model
            # parameters are wrapped for this one call (under the load lock).
            default = module.llama_cpp.llama_model_default_params

            def params():
                p = default()
                p.use_extra_bufts = False
                return p

            module.llama_cpp.llama_model_default_params = params
            threads = n_threads or usable_cores()  # see Settings.n_threads
            try:
                _LOADED[model_path] = Llama(
                    model_path=model_path,
                    n_ctx=n_ctx,
                    n_threads=threads,
                    n_threads_batch=threads,
                    verbose=False,
                )
            finally:
                module.llama_cpp.llama_model_default_params = default
        return _LOADED[model_path]


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
    from .embedded import EmbeddedLLM

    try:
        path = assemble_gguf(settings.model_dir)
    except ModelFileError as e:
        raise LLMError(str(e)) from None
    return EmbeddedLLM(
        model_path=str(path),
        state_dir=str(settings.model_dir / "state"),
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


def preload(settings: Settings) -> threading.Thread | None:
    """Load the embedded model on a thread, for a cold process that has other work to do first
    (`bot ask`: imports, index, embedder, retrieval), unless `auto` will find Ollama.

    Neither llama-index nor the EmbeddedLLM class is needed for it, so the load overlaps their
    imports. The caller then chooses the backend as always and waits for the model only if it
    is not loaded yet (load_llama's lock). A failure here is dropped: the caller's own choice
    meets it again and reports it. Not a daemon thread: a process that ends early waits for the
    load rather than exiting while llama.cpp is loading. While the model loads,
    llama-cpp-python points stdout and stderr at /dev/null (for the whole process): the caller
    must not print before the thread is done.
    """
    if settings.llm_backend == "ollama":
        return None

    def load() -> None:
        try:
            if settings.llm_backend == "auto":
                available = ollama_models(settings)
                if available is not None and _has_model(available, settings.ollama_model):
                    return
            load_llama(str(assemble_gguf(settings.model_dir)), settings.n_ctx, settings.n_threads)
        except Exception:  # noqa: BLE001  (reported by the caller's own choose_backend)
            pass

    thread = threading.Thread(target=load, name="preload-llm")
    thread.start()
    return thread


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
