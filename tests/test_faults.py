"""Faults give a clear message and a way out; re-indexing is atomic for readers."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot import ingest, store
from bot.app import Bot
from bot.ingest import run_index
from bot.model_file import GGUF_NAME, GGUF_SIZE
from bot.store import StoreError, open_store, writer_lock

BOT = str(Path(sys.executable).with_name("bot"))
Q = "What triggered the protests in Kazakhstan?"


def cli(*args, env=None):
    return subprocess.run([BOT, *args], capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})})


def _env(settings):
    return {"BOT_CORPUS_DIR": str(settings.corpus_dir), "BOT_INDEX_DIR": str(settings.index_dir), "BOT_LLM_BACKEND": "embedded"}


@pytest.mark.llm  # ends with a real answer from a cold `bot ask`
@pytest.mark.full  # the corrupted-folder test below takes the same rebuild-and-answer path in CI
def test_missing_chroma_folder_says_rebuild_and_index_recovers(scratch):
    # Separate processes: chroma keeps an open client per folder inside one process.
    assert cli("index", "--quiet", env=_env(scratch)).returncode == 0
    shutil.rmtree(scratch.index_dir / "chroma")
    p = cli("ask", Q, env=_env(scratch))
    assert p.returncode == 3 and "missing or damaged" in p.stderr and "bot index --rebuild" in p.stderr
    assert "Traceback" not in p.stderr
    p = cli("index", "--quiet", env=_env(scratch))  # the plain command heals it too
    assert p.returncode == 0, p.stderr
    assert "Sources:" in cli("ask", "Where did the first demonstrations begin?", env=_env(scratch)).stdout


@pytest.mark.llm  # ends with a real answer from a cold `bot ask`
def test_corrupted_chroma_folder_is_set_aside_by_rebuild(scratch):
    assert cli("index", "--quiet", env=_env(scratch)).returncode == 0
    db = scratch.index_dir / "chroma" / "chroma.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    env = _env(scratch)
    p = cli("ask", Q, env=env)
    assert p.returncode == 3 and "bot index --rebuild" in p.stderr and "Traceback" not in p.stderr
    p = cli("index", "--rebuild", "--quiet", env=env)
    assert p.returncode == 0, p.stderr
    assert list(scratch.index_dir.glob("chroma.damaged-*"))  # kept for inspection, out of the way
    assert "Sources:" in cli("ask", "Where did the first demonstrations begin?", env=env).stdout


def test_second_writer_is_told_to_wait(scratch):
    with writer_lock(scratch):
        with pytest.raises(StoreError, match="another `bot index` is running"):
            run_index(scratch, progress=False)
    assert run_index(scratch, progress=False).chunks > 20


def test_disk_full_while_indexing_keeps_the_old_index(scratch, monkeypatch):
    first = run_index(scratch, progress=False)
    old_generation = store.active_generation(scratch)
    path = scratch.corpus_dir / "spectator-pike.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Some 164 civilians", "Some 165 civilians"), encoding="utf-8")

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ingest.SimpleDocumentStore, "persist", full)
    with pytest.raises(StoreError, match="disk is full.*previous index is unchanged"):
        run_index(scratch, progress=False)
    assert store.active_generation(scratch) == old_generation
    assert open_store(scratch).count() == first.chunks
    names = [c.name for c in store.connect(scratch).list_collections()]
    assert names == [old_generation]  # the half-built generation was dropped


def test_questions_during_a_rebuild_are_answered_from_the_old_index(scratch, monkeypatch):
    first = run_index(scratch, progress=False)
    bot = Bot(scratch)
    old_generation = bot.retriever.generation
    slow_embed = ingest.MiniLMEmbedding._get_text_embeddings

    def slow(self, texts):
        time.sleep(0.3)
        return slow_embed(self, texts)

    monkeypatch.setattr(ingest.MiniLMEmbedding, "_get_text_embeddings", slow)
    worker = threading.Thread(target=run_index, args=(scratch,), kwargs={"rebuild": True, "progress": False})
    worker.start()
    seen = []
    while worker.is_alive():
        r = bot.retriever.retrieve(Q)
        seen.append((bot.retriever.generation, bot.retriever.chunks, r.covered, len(r.passages)))
        time.sleep(0.05)
    worker.join()
    new_generation = store.active_generation(scratch)
    assert new_generation != old_generation
    # Every answer came from a complete index: the old one, or the new one once the pointer
    # flipped (which can happen just before the worker thread ends) -- never a half-built one.
    assert all(chunks == first.chunks and covered and n == scratch.top_k for _, chunks, covered, n in seen)
    assert {g for g, *_ in seen} <= {old_generation, new_generation}
    assert sum(g == old_generation for g, *_ in seen) >= 3  # questions kept coming during the rebuild
    assert bot.retriever.generation == new_generation  # the next question moves to the new one
    assert bot.retriever.chunks == first.chunks


def test_a_rebuild_keeps_the_generation_a_running_question_reads(scratch):
    # The race behind a CI failure: a retriever taken just before the switch must still answer.
    run_index(scratch, progress=False)
    held = Bot(scratch).retriever
    run_index(scratch, rebuild=True, progress=False)
    assert store.active_generation(scratch) != held.generation
    r = held.retrieve(Q)
    assert r.covered and len(r.passages) == scratch.top_k


def test_tampered_model_file_is_refused_by_the_cli(tmp_path):
    with open(tmp_path / GGUF_NAME, "wb") as f:
        f.truncate(GGUF_SIZE)
    p = cli("ask", Q, env={"BOT_MODEL_DIR": str(tmp_path), "BOT_LLM_BACKEND": "embedded"})
    assert p.returncode == 3 and "refusing to load the embedded LLM" in p.stderr and "Traceback" not in p.stderr
