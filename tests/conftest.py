"""Shared fixtures: real parts only (embedder, Chroma, embedded LLM); scratch copies where a test writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.settings import ROOT, Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The project's default settings, pointed at the index that `bot index` built."""
    return Settings.load(path=Path("/nonexistent"), llm_backend="embedded")


@pytest.fixture(scope="session")
def bot(settings):
    from bot.app import Bot
    from bot.ingest import run_index

    run_index(settings, progress=False)  # no-op when set-up already built it
    return Bot(settings)


@pytest.fixture()
def scratch(tmp_path) -> Settings:
    """Settings with a private copy of corpus/ and an empty index folder, for tests that write."""
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    return Settings.load(path=Path("/nonexistent"), corpus_dir=corpus, index_dir=tmp_path / "index")
