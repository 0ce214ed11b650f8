"""Shared fixtures: real parts only (embedder, Chroma, embedded LLM); scratch copies where a test writes."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from bot.settings import ROOT, Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The project's default settings, pointed at the index that `bot index` built."""
    return Settings.load(path=Path("/nonexistent"), llm_backend="embedded")


def pytest_addoption(parser):
    parser.addoption("--full", action="store_true",
                     help="also run the `full` tier: the broader model-driven checks (./test --full)")


def pytest_collection_modifyitems(config, items):
    """The answer-eval gate first, in a fresh process: its answers are then those of
    `bot eval --split test` run on its own (llama.cpp reuses the previous prompt's cache, so what
    ran before can change a borderline answer), and its sentences match evals/labels.jsonl.

    Tests marked `full` (each model path is also covered by a test that CI runs; these add
    batteries, load and repeats that cost minutes of generation) run only with --full."""
    items.sort(key=lambda item: item.path.name != "test_eval_gate.py")  # stable: the rest keep their order
    if not config.getoption("--full"):
        skip = pytest.mark.skip(reason="full tier: run with ./test --full")
        for item in items:
            if "full" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def bot(settings):
    from bot.app import Bot
    from bot.ingest import run_index
    from bot.store import StoreError

    for _ in range(120):  # another worker may be checking the index at the same moment
        try:
            run_index(settings, progress=False)  # no-op when set-up already built it
            break
        except StoreError as e:
            if "another `bot index`" not in str(e):
                raise
            time.sleep(1)
    return Bot(settings)


@pytest.fixture()
def scratch(tmp_path) -> Settings:
    """Settings with a private copy of corpus/ and an empty index folder, for tests that write."""
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    return Settings.load(path=Path("/nonexistent"), corpus_dir=corpus, index_dir=tmp_path / "index")
