"""Scale-out: with CHROMA_HOST/CHROMA_PORT set, indexing and querying go to a real `chroma run` server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.embeddings import MiniLMEmbedding
from bot.ingest import run_index
from bot.retrieve import Retriever
from bot.settings import Settings
from bot.store import StoreError, open_store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def chroma_server(tmp_path):
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(150):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma run did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_index_and_query_through_a_chroma_server(chroma_server, scratch, monkeypatch):
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(chroma_server))
    settings = Settings.load(path=Path("/nonexistent"), corpus_dir=scratch.corpus_dir, index_dir=scratch.index_dir)
    assert settings.chroma_host == "127.0.0.1" and settings.chroma_mode.startswith("server")

    report = run_index(settings, progress=False)
    assert report.chunks > 20 and len(report.changed) == 5
    assert not (scratch.index_dir / "chroma").exists()  # nothing went to the embedded folder
    assert run_index(settings, progress=False).changed == []  # idempotent against the server too

    r = Retriever(settings, open_store(settings), MiniLMEmbedding()).retrieve("What triggered the protests in Kazakhstan?")
    assert r.covered and any("liquefied petroleum gas" in p.text for p in r.passages)


def test_unreachable_chroma_server_is_a_clear_error(scratch):
    settings = scratch.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": _free_port()})
    with pytest.raises(StoreError, match="cannot open the vector store \\(server 127.0.0.1"):
        run_index(settings, progress=False)
