"""`bot ask` answered by a running `bot serve` (bot/remote.py): found only when live and set up
alike, the same text as an answer in this process, errors in words, a local answer otherwise."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot import remote
from bot.settings import Settings

BOT = str(Path(sys.executable).with_name("bot"))


def _settings(tmp_path: Path, **kw) -> Settings:
    return Settings.load(path=Path("/nonexistent"), **{"index_dir": tmp_path, "llm_backend": "embedded", **kw})


def test_the_key_covers_answer_settings_only(tmp_path):
    base = _settings(tmp_path)
    assert remote.settings_key(base) == remote.settings_key(_settings(tmp_path, port=7999, auth="a:b"))
    for other in ({"top_k": 3}, {"strict": False}, {"llm_backend": "ollama"}, {"corpus_dir": tmp_path}):
        assert remote.settings_key(_settings(tmp_path, **other)) != remote.settings_key(base), other


def test_a_server_is_found_only_when_alive_and_set_up_alike(tmp_path):
    s = _settings(tmp_path)
    assert remote.find(s) is None  # nothing announced
    remote.announce(s, "http://127.0.0.1:1/")
    assert remote.find(s) == "http://127.0.0.1:1/"
    assert remote.find(_settings(tmp_path, top_k=3)) is None  # other answer settings: answered locally
    remote.withdraw(s)
    assert remote.find(s) is None and not (tmp_path / "serve.json").exists()

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a server killed without cleaning up leaves its file and a dead pid
    (tmp_path / "serve.json").write_text(json.dumps({"url": "http://127.0.0.1:1/", "pid": dead.pid, "key": remote.settings_key(s)}))
    assert remote.find(s) is None
    (tmp_path / "serve.json").write_text("{not json")
    assert remote.find(s) is None


def test_an_unreachable_server_means_a_local_answer(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    s = _settings(tmp_path)
    assert remote.ask(f"http://127.0.0.1:{port}/", s, "Who is Tokayev?", True, lambda *a: None) is False


@pytest.fixture(scope="module")
def served(bot):
    """The chat app on the tests' Bot, announced in the real index folder as `bot serve` does."""
    from bot import ui

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    demo = ui.build_app(bot)
    ui.launch(demo, bot.settings, port=port, prevent_thread_lock=True, quiet=True)
    remote.announce(bot.settings, demo.local_url)
    yield demo.local_url
    remote.withdraw(bot.settings)
    demo.close()


def _ask(*args: str) -> subprocess.CompletedProcess:
    # The tests' settings (embedded backend) in the child too, so its key matches the server's.
    return subprocess.run([BOT, "ask", *args], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "BOT_LLM_BACKEND": "embedded"})


@pytest.mark.llm
def test_bot_ask_uses_the_running_server_and_prints_what_a_local_answer_prints(bot, served):
    from bot.terminal import answer_text

    q = "Why did Kazakhstan ask the CSTO for help?"
    local = {"out": "", "err": ""}
    for stream, text in answer_text(bot, q, False):
        local[stream] += text
    p = _ask(q)
    assert p.returncode == 0, p.stderr
    assert f"answered by the running `bot serve` at {served}" in p.stderr
    assert p.stdout == local["out"] and "Sources:" in p.stdout
    # the timing line differs in its seconds only
    assert p.stderr.split("(answered by")[0].rsplit(",", 1)[0] == local["err"].rsplit(",", 1)[0]


@pytest.mark.llm
def test_through_the_server_errors_arrive_in_words_and_other_settings_answer_locally(bot, served):
    p = _ask("   ")
    assert p.returncode == 2 and "please type a question" in p.stderr and "Traceback" not in p.stderr
    other = bot.settings.model_copy(update={"top_k": 3})  # the server refuses: the caller answers locally
    assert remote.ask(served, other, "Who is Tokayev?", True, lambda *a: None) is False
