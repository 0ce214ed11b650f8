"""The same pipeline and gate on a second corpus nobody tuned on (tests/corpus2: three short
fictional flood reports, 20 gold questions): the bot must carry no knowledge of the first corpus.
Its shown sentences are labelled in tests/corpus2/labels.jsonl, like the test split's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import evaluate as ev
from bot.settings import Settings

CORPUS2 = Path(__file__).parent / "corpus2"


@pytest.mark.llm
@pytest.mark.timeout(3600)
def test_second_corpus_passes_its_gate(tmp_path, capsys):
    from bot.app import Bot
    from bot.ingest import run_index

    settings = Settings.load(path=Path("/nonexistent"), llm_backend="embedded", corpus_dir=CORPUS2,
                             index_dir=tmp_path / "index")
    assert run_index(settings, progress=False).articles == 3
    code = ev.main(settings, gold_path=CORPUS2 / "gold.jsonl", thresholds_path=CORPUS2 / "thresholds.json",
                   baseline_path=CORPUS2 / "baseline.json", labels_path=CORPUS2 / "labels.jsonl", gate=True,
                   bot=Bot(settings), report_dir=tmp_path / "report")
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "report" / "latest.json").read_text(encoding="utf-8"))
    assert report["overall"]["n"] == 20
    assert code == 0, f"second-corpus gate failed:\n{out[-4000:]}"
