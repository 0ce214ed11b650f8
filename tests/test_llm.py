"""The embedded backend (real GGUF model through llama.cpp)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole


@pytest.mark.llm
def test_a_begun_answer_is_continued_not_restarted(bot):
    """Assistant prefill, as Ollama does it: the last assistant message is continued and only
    the continuation is streamed (create_chat_completion would close it and start anew)."""
    name, llm, _ = bot.backend
    assert name == "embedded"
    messages = [
        ChatMessage(role=MessageRole.SYSTEM, content="Answer in one short sentence."),
        ChatMessage(role=MessageRole.USER, content="What is the capital of France?"),
        ChatMessage(role=MessageRole.ASSISTANT, content="The capital of France is"),
    ]
    deltas = [r.delta for r in llm.stream_chat(messages, max_tokens=12)]
    text = "".join(deltas)
    assert "Paris" in text and not text.lstrip().startswith("The capital"), text
    assert "<|im_end|>" not in text and "<|im_start|>" not in text


# -- the prompt head's saved state (see EmbeddedLLM._prepare) ----------------------------------

def test_state_file_round_trip_and_refusals(tmp_path):
    from bot.embedded import read_state_file, write_state_file

    path = tmp_path / "state" / "head-abc.state"
    data = os.urandom(10_000)
    write_state_file(path, "key-1", data)
    assert read_state_file(path, "key-1") == data
    assert read_state_file(path, "key-2") is None  # saved for another head, model or context
    raw = path.read_bytes()
    path.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))  # one bit flipped
    assert read_state_file(path, "key-1") is None
    path.write_bytes(raw[:100])
    assert read_state_file(path, "key-1") is None
    assert read_state_file(tmp_path / "missing.state", "key-1") is None


def test_only_the_newest_state_files_are_kept(tmp_path):
    from bot.embedded import STATE_FILES_KEPT, write_state_file

    for i in range(STATE_FILES_KEPT + 3):
        write_state_file(tmp_path / f"head-{i}.state", str(i), b"x")
        os.utime(tmp_path / f"head-{i}.state", ns=(i, i))
    write_state_file(tmp_path / "head-new.state", "new", b"x")
    assert len(list(tmp_path.glob("head-*.state"))) == STATE_FILES_KEPT and (tmp_path / "head-new.state").exists()


def test_an_unwritable_state_folder_is_skipped(tmp_path):
    from bot.embedded import write_state_file

    (tmp_path / "file").write_text("")
    write_state_file(tmp_path / "file" / "head-x.state", "k", b"x")  # parent is a file: nothing raised


def _context_is_fresh(llm) -> None:
    """As in a new process: nothing in the context, no head state in memory."""
    from bot import embedded as llm_module

    llm.llama.reset()
    llm_module._HEAD_STATES.clear()
    llm_module._LAST_PROMPT.clear()


@pytest.mark.llm
@pytest.mark.full  # asks one question twice around two others (about 100 s)
def test_an_answer_does_not_depend_on_what_was_asked_before(bot, tmp_path):
    """Each new prompt starts from the head's state (from memory, from the file, or evaluated),
    so the same question gives the same answer after other questions, in a fresh context, and
    from the saved file."""
    name, llm, _ = bot.backend
    q = "How did China react to the unrest?"
    first = bot.ask(q).to_json()
    bot.ask("Who is Karim Massimov?")
    again = bot.ask(q).to_json()
    _context_is_fresh(llm)
    fresh = bot.ask(q).to_json()  # the head comes from the state file
    assert list(Path(llm.state_dir).glob("head-*.state"))
    for other in (again, fresh):
        assert (other["answer"], other["citations"]) == (first["answer"], first["citations"])


@pytest.mark.llm
def test_a_saved_head_state_equals_evaluating_the_head(bot, monkeypatch):
    from bot import embedded as llm_module

    name, llm, _ = bot.backend
    llama = llm.llama
    turns = [{"role": "system", "content": bot.settings.prompt("system").strip()}, {"role": "user", "content": "Hello?"}]
    head = llm._head_tokens(llama, turns)
    assert head and len(head) > 20
    states = []
    for _ in range(2):
        llama.reset()
        llama.eval(head)
        states.append(llm_module._state_bytes(llama))
    assert states[0] == states[1]  # evaluating the head is deterministic, so a saved state stands for it
    assert llm_module._set_state(llama, states[0], head) and llama.n_tokens == len(head)


@pytest.mark.llm
def test_the_model_is_loaded_without_repacked_weights(bot):
    """load_llama turns llama.cpp's CPU_REPACK off (slower prompts here, see bot/llm.py) for its
    own call only, and the saved head state is keyed on it, as it changes the numbers."""
    import llama_cpp
    import llama_cpp.llama as module

    _, llm, _ = bot.backend
    assert llm.llama.model_params.use_extra_bufts is False
    assert module.llama_cpp.llama_model_default_params is llama_cpp.llama_model_default_params  # restored
    assert llama_cpp.llama_model_default_params().use_extra_bufts is True  # the library's default is untouched
    head = [1, 2, 3]
    key = llm._state_key(llm.llama, head)
    llm.llama.model_params.use_extra_bufts = True
    try:
        assert llm._state_key(llm.llama, head) != key
    finally:
        llm.llama.model_params.use_extra_bufts = False


@pytest.mark.llm
def test_every_usable_core_reads_the_prompt_and_generates(bot):
    """n_threads unset: llama-cpp-python would generate with half the cores; the bot uses all the
    process may run on for both (same answers, sooner; see Settings.n_threads)."""
    _, llm, _ = bot.backend
    assert bot.settings.n_threads is None
    params = llm.llama.context_params
    assert params.n_threads == params.n_threads_batch == len(os.sched_getaffinity(0))


@pytest.mark.llm
def test_a_recorded_generation_replays_the_same_text(bot, tmp_path):
    """`bot eval --replay` (evaluate/replay.py): a recorded request replays its text without the
    model; a stream the consumer stopped early is continued by the model where it stopped, and
    the result is the text a whole generation gives."""
    from bot.evaluate.replay import ReplayLLM

    _, llm, model = bot.backend
    messages = [ChatMessage(role=MessageRole.SYSTEM, content="Answer in one short sentence."),
                ChatMessage(role=MessageRole.USER, content="Name three colours of the rainbow.")]
    whole = "".join(r.delta for r in llm.stream_chat(messages, max_tokens=16))
    path = tmp_path / "rec.jsonl"
    first = ReplayLLM(llm, path, model)
    stream = first.stream_chat(messages, max_tokens=16)
    part = next(stream).delta
    stream.close()  # the consumer stops after one token (as the added-fact round does)
    assert first.misses == 1 and whole.startswith(part)
    again = ReplayLLM(llm, path, model)
    assert "".join(r.delta for r in again.stream_chat(messages, max_tokens=16)) == whole
    assert (again.hits, again.misses) == (1, 0)
    third = ReplayLLM(object(), path, model)  # no model at all: a complete record needs none
    assert "".join(r.delta for r in third.stream_chat(messages, max_tokens=16)) == whole
    other = ReplayLLM(llm, path, "another model")  # the key holds the model: no replay across models
    assert "".join(r.delta for r in other.stream_chat(messages, max_tokens=16)) == whole and other.misses == 1
