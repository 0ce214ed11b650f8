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


@pytest.fixture(scope="module")
def corpus2(tmp_path_factory) -> Settings:
    """Settings on the second corpus, indexed into a scratch folder."""
    from bot.ingest import run_index

    settings = Settings.load(path=Path("/nonexistent"), llm_backend="embedded", corpus_dir=CORPUS2,
                             index_dir=tmp_path_factory.mktemp("corpus2") / "index")
    assert run_index(settings, progress=False).articles == 3
    return settings


@pytest.mark.llm
@pytest.mark.timeout(3600)
def test_second_corpus_passes_its_gate(corpus2, tmp_path, capsys):
    from bot.app import Bot

    settings = corpus2
    code = ev.main(settings, gold_path=CORPUS2 / "gold.jsonl", thresholds_path=CORPUS2 / "thresholds.json",
                   baseline_path=CORPUS2 / "baseline.json", labels_path=CORPUS2 / "labels.jsonl", gate=True,
                   bot=Bot(settings), report_dir=tmp_path / "report")
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "report" / "latest.json").read_text(encoding="utf-8"))
    assert report["overall"]["n"] == 20
    assert code == 0, f"second-corpus gate failed:\n{out[-4000:]}"


@pytest.mark.llm
def test_second_corpus_briefing_passes_the_same_checks(corpus2, tmp_path):
    """The briefing, built from the corpus's own plan (tests/corpus2/briefing.yaml), scored like
    the first corpus's: must-have facts in their section (tests/corpus2/brief_gold_strict.yaml,
    written from the articles without seeing a briefing), audited lines, dangling references."""
    from bot.app import Bot
    from bot.brief import briefing
    from bot.evaluate import brief_check

    b = briefing(Bot(corpus2))
    assert [s.title for s in b.sections][:3] == ["What happened", "Key people and organisations", "The figures"]
    result, fails = brief_check.check(b, CORPUS2 / "brief_gold_strict.yaml", CORPUS2 / "brief_labels.jsonl",
                                      CORPUS2 / "brief_thresholds.json", unlabelled_path=tmp_path / "unlabelled.jsonl")
    assert not fails, brief_check.report(result)
    assert not any("Zhanaozen" in l.text or "Kazakh" in l.text for s in b.sections for l in s.lines)
