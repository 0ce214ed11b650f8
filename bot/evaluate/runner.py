"""Running the gold set through the Bot (exactly as the CLI asks), and the entry points:
`main` (a run), `finish` (aggregate, compare, gate, report) and `rescore` (a saved run, no LLM)."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path


from ..settings import ROOT, Settings

from .data import BASELINE_PATH, LABELS_PATH, REPORT_DIR, SPLITS, THRESHOLDS_PATH, load_gold, load_labels, load_split, select
from .metrics import aggregate_all, aggregate_splits, check_gate, compare, gold_spans, idf_weights, load_thresholds, score_item
from .report import _print_deltas, category_table, split_table, write_reports

# --- running one item -------------------------------------------------------------------------


class _RetrievalLog:
    """Wraps the bot's retriever.retrieve, .with_context and .with_source on the instance to keep
    what the answer actually used."""

    METHODS = ("retrieve", "with_context", "with_source")  # a follow-up's or a named source's passages too

    def __init__(self, retriever):
        self.retriever = retriever
        self.inner = {name: getattr(retriever, name) for name in self.METHODS if hasattr(retriever, name)}
        self.last = None

    def __enter__(self):
        def logged(method):
            def call(*args, **kwargs):
                self.last = method(*args, **kwargs)
                return self.last
            return call

        for name, method in self.inner.items():
            setattr(self.retriever, name, logged(method))
        return self

    def __exit__(self, *exc):
        for name, method in self.inner.items():
            setattr(self.retriever, name, method)


def run_item(bot, item: dict, log: _RetrievalLog, retrieval_only: bool = False) -> dict:
    """Ask the bot (through Bot.stream, exactly as the CLI does) and keep everything scoring needs."""
    from ..answer import Delta, Done, Sentence
    from ..app import BadInput
    from ..llm import LLMError
    from ..store import StoreError

    log.last = None
    raw: dict = {"error": None, "answer": "", "refused": None, "refusal_reason": None, "sentences": [],
                 "dropped_sentences": [], "left_out": [], "not_added": [], "unanswered": [], "citations": [], "timings": {}, "standalone_question": None}
    if retrieval_only:
        log.retriever.retrieve(item["question"])
    else:
        produced_text, events = False, []
        try:
            for event in bot.stream(item["question"], item.get("history", [])):
                if isinstance(event, Delta) and event.text.strip():
                    produced_text = True
                elif isinstance(event, Sentence):
                    events.append(event.sentence)
                elif isinstance(event, Done):
                    answer = event.answer
        except (LLMError, StoreError, BadInput) as e:
            raw["error"] = f"{type(e).__name__}: {e}"
        except Exception as e:  # a pipeline bug: record it and go on, so one item cannot sink the run
            raw["error"] = f"unexpected {type(e).__name__}: {e}"
        else:
            raw.update(
                answer=answer.text, refused=answer.refused, timings=dict(answer.timings),
                standalone_question=answer.standalone_question,
                sentences=[{"text": s.text, "citations": list(s.citations), "verifier_supported": s.supported,
                            "verifier_score": round(s.score, 3), "verifier_missing": list(s.missing),
                            # a quote added by the program's rules, not one standing for a model sentence
                            "program_quote": s.inline and not s.said, "model_text": s.said or None}
                           for s in answer.sentences],
                citations=[dict(c.__dict__) for c in answer.citations],
                left_out=list(answer.left_out),  # strict mode: the model's sentences no article supports
                not_added=list(answer.not_added),  # the one more fact asked for, dropped unseen
                unanswered=list(answer.unanswered),  # parts of the question the answer says it leaves open
            )
            if answer.refused:
                inferred = "not_covered" if not produced_text else "model" if not events else "unverified"
                raw["refusal_reason"] = getattr(answer, "refusal_reason", None) or inferred
                raw["dropped_sentences"] = [{"text": s.text, "score": round(s.score, 3), "missing": list(s.missing)} for s in events]
    used = log.last is not None
    if not used and not raw["error"]:  # refused before retrieval (e.g. a guard): still measure the retriever
        log.retriever.retrieve(raw["standalone_question"] or item["question"])
    r = log.last
    raw["retrieval"] = None if r is None else {
        "query": r.query, "used_by_answer": used, "covered": r.covered, "best_dense": round(r.best_dense, 4), "seconds": round(r.seconds, 3),
        "passages": [{"article_id": p.article_id, "start": p.start, "end": p.end, "score": round(p.score, 5)} for p in r.passages],
    }
    raw["_passages"] = [] if r is None else r.passages
    return raw



# --- entry point -----------------------------------------------------------------------------


def _code_version() -> dict:
    """The commit and any uncommitted pipeline files, so a report says which code it measured."""
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    dirty = [line[3:] for line in git("status", "--porcelain", "--", "bot", "prompts").splitlines() if line.strip()]
    return {"commit": git("rev-parse", "--short", "HEAD").strip() or None, "uncommitted": dirty}


def _settings_json(settings: Settings) -> dict:
    data = settings.model_dump(mode="json")
    data.pop("auth", None)  # never write a password into a report
    return data


def main(settings: Settings, subset=None, gate: bool = False, write_baseline: bool = False, retrieval_only: bool = False,
         bot=None, report_dir: Path | None = None, gold_path: Path | None = None, thresholds_path: Path | None = None,
         baseline_path: Path | None = None, split: str = "dev", labels_path: Path = LABELS_PATH,
         replay: Path | None = None) -> int:
    """Run the eval on one split ("dev", "test") or "all"; 0 = done (and gate passed), 1 = gate
    failed, 2 = bad use. Every item failing raises LLMError. `gold_path` overrides the split's file.
    `replay`: a recording of the model's output to replay and extend (evaluate/replay.py)."""
    from tqdm import tqdm

    from ..app import Bot
    from ..llm import LLMError

    if split == "all" and (gate or write_baseline):
        print("error: --gate and --write-baseline take one split (dev or test), not all", file=sys.stderr)
        return 2
    items = select(load_gold(gold_path) if gold_path else load_split(split), subset)
    default_thresholds, default_baseline = SPLITS.get(split, (None, THRESHOLDS_PATH, None))[1:]
    thresholds_path, baseline_path = thresholds_path or default_thresholds, baseline_path or default_baseline
    if replay and replay.exists() and replay.stat().st_size and (gate or write_baseline):
        # A new recording is a real run (every generation is the model's); a replay is not.
        print("error: a replayed run neither gates nor writes a baseline: those come from real runs", file=sys.stderr)
        return 2
    if write_baseline and (subset or retrieval_only):
        print("error: a baseline is written only from a full run of the whole gold set", file=sys.stderr)
        return 2
    t0, code = time.perf_counter(), _code_version()  # the code that is loaded now, not at the end of a long run
    bot = bot or Bot(settings)
    if replay and not retrieval_only:
        from .replay import ReplayLLM

        name, llm, model = bot.backend
        bot._backend = (name, ReplayLLM(llm, replay, f"{name}:{model}:{settings.temperature}"), model)
    weight, labels = idf_weights(bot.articles), load_labels(labels_path)
    results = []
    with _RetrievalLog(bot.retriever) as log:
        bar = tqdm(items, desc="eval", unit="q", file=sys.stderr, dynamic_ncols=True)
        for item in bar:
            bar.set_postfix_str(item["id"])
            raw = run_item(bot, item, log, retrieval_only)
            metrics = score_item(item, raw, gold_spans(item, bot.articles), retrieval_only, weight, labels)
            results.append({"item": item, "raw": raw, "metrics": metrics})
    if not retrieval_only and results and all(r["raw"]["error"] for r in results):
        raise LLMError(f"every item failed; first error: {results[0]['raw']['error']}")
    backend, _, model = (None, None, None) if retrieval_only else bot.backend
    report = {
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "mode": "retrieval-only" if retrieval_only else "full",
        "split": split if not gold_path else str(gold_path),
        "labels": str(labels_path),
        "subset": subset if isinstance(subset, str) or subset is None else ",".join(subset),
        "k": settings.top_k, "backend": backend, "model": model,
        "wall_seconds": round(time.perf_counter() - t0, 1), "code": code, "settings": _settings_json(settings),
    }
    if replay and not retrieval_only:
        replayed = bot.backend[1]
        report["replay"] = {"file": str(replay), "replayed": replayed.hits, "generated": replayed.misses}
        note = " (latency figures are not a real run's)" if replayed.hits else " (a real run, recorded)"
        print(f"replay {replay}: {replayed.hits} generations replayed, {replayed.misses} generated{note}", file=sys.stderr)
    return finish(report, results, gate=gate, write_baseline=write_baseline, report_dir=report_dir or REPORT_DIR,
                  thresholds_path=thresholds_path, baseline_path=baseline_path)


def finish(report: dict, results: list[dict], gate: bool, write_baseline: bool, report_dir: Path,
           thresholds_path: Path = THRESHOLDS_PATH, baseline_path: Path | None = BASELINE_PATH) -> int:
    """Aggregate, compare with the baseline, gate, write the reports and print the summary."""
    overall, categories = aggregate_all(results)
    report.update(overall=overall, categories=categories, splits=aggregate_splits(results))
    subset = report.get("subset")
    baseline = json.loads(baseline_path.read_text(encoding="utf-8")) if baseline_path and baseline_path.exists() else None
    if baseline:
        report["baseline_deltas"] = compare(overall, baseline.get("overall")) if not subset else {}
        report["baseline_category_deltas"] = {c: compare(a, baseline.get("categories", {}).get(c)) for c, a in categories.items()}
    if gate:
        failures, skipped = check_gate(overall, load_thresholds(thresholds_path), categories)
        report["gate"] = {"failures": failures, "skipped": skipped}
    write_reports(report, results, report_dir)

    print(f"\n{len(results)} items ({report.get('split') or 'dev'} split) in {report['wall_seconds']:.0f} s; report: {report_dir / 'latest.md'}")
    print(category_table(categories))
    print(split_table(report["splits"] or {report.get("split") or "dev": overall}))
    if overall.get("unlabelled_shown"):
        print(f"{overall['unlabelled_shown']} shown sentences have no label: label them in {report.get('labels') or LABELS_PATH} "
              f"(listed in {report_dir / 'unlabelled.jsonl'})")
    if baseline:
        _print_deltas(report.get("baseline_deltas", {}), f"Change against {baseline_path.name} (overall):")
        if subset:
            for c, d in report["baseline_category_deltas"].items():
                _print_deltas(d, f"Change against {baseline_path.name} ({c}; subset run, compare with care):")
    if write_baseline:
        keep = {k: report[k] for k in ("created", "backend", "model", "k", "code", "wall_seconds", "overall", "categories")}
        baseline_path.write_text(json.dumps(keep, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {baseline_path}")
    if not gate:
        return 0
    if report["gate"]["failures"]:
        print("\nGATE FAILED:\n" + "\n".join(f"  {f}" for f in report["gate"]["failures"]))
        return 1
    print("\ngate passed" + (f" (not measured: {', '.join(report['gate']['skipped'])})" if report["gate"]["skipped"] else ""))
    return 0


def rescore(report_json: Path, report_dir: Path | None = None, gate: bool = False, write_baseline: bool = False,
            gold_path: Path | None = None, thresholds_path: Path | None = None, baseline_path: Path | None = None,
            labels_path: Path = LABELS_PATH) -> int:
    """Score a saved latest.json again (after a change to the metrics, not to the pipeline): no LLM, no index."""
    from types import SimpleNamespace

    from ..corpus import load_corpus

    saved = json.loads(report_json.read_text(encoding="utf-8"))
    gold = {i["id"]: i for i in (load_gold(gold_path) if gold_path else load_split("all"))}
    labels = load_labels(labels_path)
    split = saved.get("split", "dev")
    thresholds_path = thresholds_path or SPLITS.get(split, (None, THRESHOLDS_PATH))[1]
    baseline_path = baseline_path or SPLITS.get(split, (None, None, BASELINE_PATH))[2]
    articles = {a.id: a for a in load_corpus(Path(saved["settings"]["corpus_dir"]))}
    weight, retrieval_only = idf_weights(articles), saved["mode"] == "retrieval-only"
    results = []
    for entry in saved["items"]:
        item = gold[entry["id"]]
        raw = {k: v for k, v in entry.items() if k not in ("id", "category", "expect", "question", "metrics")}
        raw["_passages"] = [SimpleNamespace(**p) for p in (raw.get("retrieval") or {}).get("passages", [])]
        metrics = score_item(item, raw, gold_spans(item, articles), retrieval_only, weight, labels)
        results.append({"item": item, "raw": raw, "metrics": metrics})
    report = {k: v for k, v in saved.items()
              if k not in ("items", "overall", "categories", "splits", "gate", "baseline_deltas", "baseline_category_deltas")}
    report["rescored"] = dt.datetime.now().isoformat(timespec="seconds")
    report["labels"] = str(labels_path)
    return finish(report, results, gate=gate, write_baseline=write_baseline and not report.get("subset") and not retrieval_only,
                  report_dir=report_dir or report_json.parent, thresholds_path=thresholds_path, baseline_path=baseline_path)
