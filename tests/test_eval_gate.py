"""The answer-eval gate.

(a) The CI gate: the gold set's held-back `test` split, answered by the embedded model through the
    same Bot the CLI and UI use, must clear every threshold in evals/thresholds_test.json (slow:
    marked `llm`).
(b) The gate has teeth: a retriever stuck on one article fails it on the retrieval metrics
    (retrieval-only mode, so no LLM is needed), while the real retriever on the same items clears
    the hit-rate threshold.
"""

from __future__ import annotations

import json

import pytest

from bot import evaluate as ev
from bot.retrieve import Retrieval


@pytest.mark.llm
@pytest.mark.timeout(2 * 3600)
def test_test_split_passes_the_gate(settings, bot, capsys):
    """The held-back test split (never designed on), against evals/thresholds_test.json. The dev
    split runs on demand (`bot eval --split dev --gate`)."""
    code = ev.main(settings, split="test", gate=True, bot=bot)
    out = capsys.readouterr().out
    assert code == 0, f"answer-eval gate failed on the test split (report: evals/reports/latest.md)\n{out[-4000:]}"


STUCK_ON = "spectator-pike"


def _gate_failures(report_dir) -> list[str]:
    return json.loads((report_dir / "latest.json").read_text(encoding="utf-8"))["gate"]["failures"]


def test_a_broken_retriever_fails_the_gate(settings, bot, monkeypatch, tmp_path):
    items = [i for i in ev.load_gold() if i["expect"] == "answer" and STUCK_ON not in i["gold_articles"] and not i["history"]][:8]
    subset = ",".join(i["id"] for i in items)
    real = bot.retriever.retrieve

    assert ev.main(settings, subset=subset, gate=True, retrieval_only=True, bot=bot, report_dir=tmp_path / "real") in (0, 1)
    real_failures = _gate_failures(tmp_path / "real")
    assert not any(f.startswith("hit_rate") for f in real_failures), real_failures

    stuck = [p for p in real("Almaty uprising policemen arrested Putin troops", top_k=20).passages if p.article_id == STUCK_ON]
    assert stuck, "no passage of the article to get stuck on"

    def broken(query, top_k=None):  # right coverage decision, passages always from the same wrong article
        r = real(query, top_k)
        return Retrieval(r.query, stuck[: top_k or settings.top_k], r.best_dense, r.covered, r.seconds)

    monkeypatch.setattr(bot.retriever, "retrieve", broken)
    code = ev.main(settings, subset=subset, gate=True, retrieval_only=True, bot=bot, report_dir=tmp_path / "broken")
    failures = _gate_failures(tmp_path / "broken")
    assert code == 1
    assert any(f.startswith("hit_rate = 0 <") for f in failures), failures
    assert any(f.startswith("mrr = 0 <") for f in failures), failures
    assert any(f.startswith("quote_hit = 0 <") for f in failures), failures
