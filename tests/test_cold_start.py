"""A cold `bot ask`: the model loads on a thread while the rest starts, and the answer is the warm one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot import llm, model_file
from bot.errors import exit_code
from bot.settings import Settings, SettingsError

BOT = str(Path(sys.executable).with_name("bot"))


def test_errors_keep_their_exit_codes():
    from bot.app import BadInput
    from bot.corpus import CorpusError
    from bot.store import StoreError

    assert [exit_code(e) for e in (BadInput("x"), SettingsError("x"), CorpusError("x"))] == [2, 2, 2]
    assert [exit_code(e) for e in (llm.LLMError("x"), StoreError("x"), model_file.ModelFileError("x"))] == [3, 3, 3]
    assert exit_code(ValueError("x")) is None  # not ours: raised as it is


def test_no_preload_when_ollama_is_asked_for(settings):
    assert llm.preload(settings.model_copy(update={"llm_backend": "ollama"})) is None


def test_a_preload_that_fails_says_nothing_and_the_caller_reports_it(tmp_path, monkeypatch):
    (tmp_path / model_file.GGUF_NAME).write_bytes(b"GGUF tampered")
    monkeypatch.setattr(model_file, "GGUF_SIZE", len(b"GGUF tampered"))
    hooked = []
    monkeypatch.setattr(threading, "excepthook", hooked.append)
    settings = Settings.load(path=Path("/nonexistent"), llm_backend="embedded", model_dir=tmp_path)
    thread = llm.preload(settings)
    thread.join(60)
    assert not thread.is_alive() and hooked == []
    with pytest.raises(llm.LLMError, match="refusing to load the embedded LLM"):
        llm.choose_backend(settings)


@pytest.mark.llm
def test_a_cold_ask_gives_the_warm_answer(bot):
    """The same question: `bot ask --json` in a new process, and this process's warm Bot."""
    q = "Did China offer security help to Kazakhstan?"  # a begun (yes/no) answer, continued
    bot.ask("What triggered the protests in Kazakhstan?")  # something asked before, in the warm one
    warm = bot.ask(q).to_json()
    p = subprocess.run([BOT, "ask", "--json", "--local", q], capture_output=True, text=True, timeout=900,
                       env={**os.environ, "BOT_LLM_BACKEND": "embedded"})
    assert p.returncode == 0, p.stderr
    cold = json.loads(p.stdout)
    assert (cold["answer"], cold["citations"]) == (warm["answer"], warm["citations"])
