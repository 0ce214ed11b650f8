"""`bot eval`: run the gold set through the same Bot the CLI and UI use, score it, report, gate.

Per item: retrieval hit-rate@k and MRR over article ids (llama-index's metric classes), quote
hit (a retrieved passage overlaps a gold quote), fact recall, ALCE-style citation precision and
recall with an independent support check (never the pipeline's own `supported` flag), refusal
in both directions, `must_not_contain` violations and latency. Aggregates go per category and
overall into evals/reports/latest.{json,md,png}; they are compared with evals/baseline.json
and, with `gate=True`, checked against evals/thresholds.json.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

from llama_index.core.evaluation.retrieval.metrics import MRR, HitRate

from .settings import ROOT, Settings

EVALS = ROOT / "evals"
GOLD_PATH = EVALS / "gold.jsonl"
THRESHOLDS_PATH = EVALS / "thresholds.json"
BASELINE_PATH = EVALS / "baseline.json"
REPORT_DIR = EVALS / "reports"
LABELS_PATH = EVALS / "labels.jsonl"

# The gold set's two splits (evals/GOLD.md): `dev` is everything measured while designing; `test`
# was written before the pipeline answered it and is reported only, never designed on. Each split
# has its own gold file, thresholds and baseline.
SPLITS = {
    "dev": (GOLD_PATH, THRESHOLDS_PATH, BASELINE_PATH),
    "test": (EVALS / "gold_test.jsonl", EVALS / "thresholds_test.json", EVALS / "baseline_test.json"),
}

# Metrics given a bootstrap 95 % interval in the report (items resampled with replacement).
CI_METRICS = ("fact_recall", "fact_recall_model", "citation_precision", "citation_recall", "pass_rate",
              "refusal_accuracy", "false_refusals", "false_shown")
BOOTSTRAP_SAMPLES = 1000

# Citation support, decided independently of bot/cite.py's verifier: the cited quotes support a
# sentence when they contain every number and name of the sentence and cover at least FACT_SHARE
# of its content words, weighted by rarity in the corpus (IDF, so "China" or "Kazakhstan" count
# little and a word no article uses counts most), or GOLD_SHARE when a cited quote overlaps one of
# the item's gold quotes. Naming the cited outlet or author ("The Spectator reported") is attribution,
# not claim, and is left out. Validated on hand-labelled sentences (tests/test_evaluate.py, DECISIONS.md).
GOLD_SHARE = 0.5
FACT_SHARE = 0.8

# metric -> True when higher is better (for deltas and the report)
HIGHER_IS_BETTER = {
    "hit_rate": True, "mrr": True, "quote_hit": True, "quote_recall": True,
    "fact_recall": True, "facts_all": True, "citation_precision": True, "citation_recall": True,
    "refusal_accuracy": True, "must_refuse_accuracy": True, "answer_rate": True, "pass_rate": True,
    "false_refusals": False, "missed_refusals": False, "must_not_contain_violations": False, "errors": False,
    "verifier_stricter": False, "verifier_laxer": False,
    "fact_recall_model": True, "false_shown": False, "unlabelled_shown": False,
    "latency_total_median": False, "latency_total_p95": False,
    "latency_first_token_median": False, "latency_first_token_p95": False,
}


# --- gold ----------------------------------------------------------------------------------


def load_gold(path: Path = GOLD_PATH) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_split(split: str) -> list[dict]:
    """The items of one split ("dev", "test") or of both ("all"), each tagged with its split."""
    names = list(SPLITS) if split == "all" else [split]
    if any(n not in SPLITS for n in names):
        from .app import BadInput

        raise BadInput(f"unknown split {split!r} (choose dev, test or all)")
    return [{**item, "split": n} for n in names for item in load_gold(SPLITS[n][0])]


# --- sentence labels -------------------------------------------------------------------------
# Every model sentence the bot shows on the test split is labelled true or false against the
# articles by hand (evals/labels.jsonl). Labels are keyed by the sentence's text, so they carry
# over between runs; a shown sentence without a label counts in `unlabelled_shown`.


def label_key(text: str) -> str:
    return collapse(strip_markers(text))


def load_labels(path: Path = LABELS_PATH) -> dict[str, bool]:
    """sentence key -> True (true against the articles) / False."""
    if not path.exists():
        return {}
    labels = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        entry = json.loads(line)
        if entry.get("label") not in ("true", "false"):
            raise ValueError(f"{path.name} line {number}: label must be \"true\" or \"false\", got {entry.get('label')!r}")
        labels[label_key(entry["sentence"])] = entry["label"] == "true"
    return labels


def is_program_quote(sentence: dict) -> bool:
    """A verbatim quote the program added after the answer ("Outlet: “…” [n]"), not the model's words.
    Older reports lack the flag: the quote's shape tells it."""
    if "program_quote" in sentence:
        return bool(sentence["program_quote"])
    return bool(re.match(r"^[^“”:]{2,80}: “", sentence["text"]))


def select(items: list[dict], subset: str | Iterable[str] | None) -> list[dict]:
    """Items whose category or id is named in `subset` (comma-separated); all when None."""
    if not subset:
        return items
    names = [s.strip() for s in (subset.split(",") if isinstance(subset, str) else subset) if s.strip()]
    known = {i["id"] for i in items} | {i["category"] for i in items}
    unknown = [n for n in names if n not in known]
    if unknown:
        from .app import BadInput

        cats = sorted({i["category"] for i in items})
        raise BadInput(f"unknown categories or item ids in --subset: {', '.join(unknown)} (categories: {', '.join(cats)})")
    return [i for i in items if i["id"] in names or i["category"] in names]


# --- text matching ---------------------------------------------------------------------------


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def strip_markers(text: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", text)


def contains(text: str, variant: str) -> bool:
    """GOLD.md's rule: case-insensitive substring after collapsing whitespace."""
    return collapse(variant).lower() in collapse(text).lower()


def fact_hits(text: str, facts: list[list[str]]) -> list[bool]:
    """One flag per fact: does any of its variants occur in `text`?"""
    text = strip_markers(text)
    return [any(contains(text, v) for v in variants) for variants in facts]


def violations(text: str, forbidden: list[str]) -> list[str]:
    text = strip_markers(text)
    return [s for s in forbidden if contains(text, s)]


# --- gold quote spans ------------------------------------------------------------------------


def locate(article_text: str, quote: str) -> tuple[int, int] | None:
    """Offsets of `quote` in the article, whitespace runs matching any whitespace."""
    pattern = r"\s+".join(re.escape(tok) for tok in quote.split())
    m = re.search(pattern, article_text) if pattern else None
    return (m.start(), m.end()) if m else None


def gold_spans(item: dict, articles: dict) -> list[tuple[str, int, int]]:
    """(article_id, start, end) for each gold quote, found in one of the item's gold articles."""
    spans = []
    for quote in item.get("quotes", []):
        for aid in item.get("gold_articles", []):
            art = articles.get(aid)
            where = locate(art.text, quote) if art else None
            if where:
                spans.append((aid, *where))
                break
    return spans


def overlaps(article_id: str, start: int, end: int, spans: list[tuple[str, int, int]]) -> bool:
    return any(a == article_id and start < e and s < end for a, s, e in spans)


# --- retrieval metrics -----------------------------------------------------------------------


def ranked_articles(passages) -> list[str]:
    """Article ids in rank order, each once (ranks are by article, not by chunk)."""
    seen: list[str] = []
    for p in passages:
        if p.article_id not in seen:
            seen.append(p.article_id)
    return seen


def retrieval_metrics(gold_articles: list[str], passages, spans: list[tuple[str, int, int]]) -> dict:
    ranked = ranked_articles(passages)
    if ranked and gold_articles:
        hit = HitRate().compute(expected_ids=gold_articles, retrieved_ids=ranked).score
        mrr = MRR().compute(expected_ids=gold_articles, retrieved_ids=ranked).score
    else:
        hit = mrr = 0.0
    hit_spans = [g for g in spans if any(overlaps(p.article_id, p.start, p.end, [g]) for p in passages)]
    return {
        "hit_rate": hit,
        "mrr": mrr,
        "quote_hit": 1.0 if hit_spans else 0.0,
        "quote_recall": len(hit_spans) / len(spans) if spans else 0.0,
    }


# --- citation support (independent check) ----------------------------------------------------

_TOKEN = re.compile(r"[^\W_][\w’'-]*", re.UNICODE)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_NUMBER_WORDS = dict(zip(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split(), map(str, range(1, 21))))
_STOP = set("""
a an the this that these those it its it's he she they them his her their there here we you i our your my
in on at of for to by with from as into over under about after before during since until than then
and but or nor so yet if when while although though however also both either neither not no yes
is are was were be been being has have had do does did will would can could should may might must
one some many most more less all any each every such what which who whom whose why how where
said says say told according also very just only other same own again further once because thus
report reports reported state states stated write writes wrote note notes noted article articles source sources excerpt excerpts
""".split())


def _tokens(text: str) -> list[str]:
    return [t.strip("’'-") for t in _TOKEN.findall(text)]


def _norm(token: str) -> str:
    t = token.lower()
    for suffix in ("’s", "'s"):
        t = t.removesuffix(suffix)
    return t


def numbers(text: str) -> set[str]:
    found = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
    found |= {_NUMBER_WORDS[_norm(t)] for t in _tokens(text) if _norm(t) in _NUMBER_WORDS}
    return found


def names(text: str) -> set[str]:
    """Capitalised words that are not function words: names, places, organisations, months."""
    return {_norm(t) for t in _tokens(text) if t[:1].isupper() and _norm(t) not in _STOP and _norm(t) not in _NUMBER_WORDS}


def required_names(text: str) -> set[str]:
    """The names a support must contain: of a run of capitalised words ("Nursultan Nazarbayev",
    "National Security Council") the last one, the surname or head noun, and every single
    name; a first name or qualifier may be left out, as the articles often do ("Nazarbayev")."""
    required: set[str] = set()
    run: list[str] = []
    for t in [*_tokens(text), ""]:
        if t[:1].isupper() and _norm(t) not in _STOP and _norm(t) not in _NUMBER_WORDS:
            run.append(_norm(t))
            continue
        if run:
            required.add(run[-1])
        run = []
    return required


def _name_in(name: str, support_tokens: set[str]) -> bool:
    # Tokaev/Tokayev, Chinese/China, Kazakh/Kazakhstan: a 4-letter prefix is enough for long names.
    return name in support_tokens or (len(name) >= 4 and any(t[:4] == name[:4] for t in support_tokens))


def idf_weights(articles) -> Callable[[str], float]:
    """Word -> IDF over the corpus paragraphs (5-letter prefixes); unseen words get the maximum."""
    paragraphs = [p for a in articles.values() for p in a.text.split("\n\n") if p.strip()]
    df: dict[str, int] = {}
    for para in paragraphs:
        for stem in {_norm(t)[:5] for t in _tokens(para)}:
            df[stem] = df.get(stem, 0) + 1
    n = len(paragraphs)
    return lambda word: math.log((n + 1) / (df.get(word[:5], 0) + 1))


def _uniform(word: str) -> float:
    return 1.0


def content_share(sentence: str, support: str, weight: Callable[[str], float] = _uniform) -> float:
    """Weighted share of the sentence's content words found in the support (5-letter prefixes; names as in _name_in)."""
    want = {_norm(t) for t in _tokens(sentence) if _norm(t) not in _STOP and len(t) > 2}
    have = {_norm(t) for t in _tokens(support)}
    stems, proper = {t[:5] for t in have}, names(sentence)
    total = sum(weight(w) for w in want)
    if not want or total <= 0:
        return 0.0
    return sum(weight(w) for w in want if w[:5] in stems or (w in proper and _name_in(w, have))) / total


def attribution(quotes: list) -> set[str]:
    """Words naming the cited articles' outlets and authors ("The Spectator", "WSJ", "Sciorati"):
    saying who reported a claim is not part of the claim."""
    words: set[str] = set()
    for q in quotes:
        outlet, author = getattr(q, "outlet", "") or "", getattr(q, "author", "") or ""
        caps = [t for t in _tokens(outlet) if t[:1].isupper() and t.lower() != "the"]
        words |= {_norm(t) for t in _tokens(f"{outlet} {author}")} | {"".join(t[0] for t in caps).lower()}
    return words - {""}


def _without(text: str, drop: set[str]) -> str:
    """`text` with the words whose normal form is in `drop` cut out (punctuation and numbers kept)."""
    return _TOKEN.sub(lambda m: "" if _norm(m.group().strip("’'-")) in drop else m.group(), text) if drop else text


def supports(sentence: str, quotes: list, gold: list[tuple[str, int, int]], weight: Callable[[str], float] = _uniform) -> bool:
    """Do the cited quotes (objects with article_id, start, end, quote and optionally outlet, author) support the sentence?"""
    if not quotes:
        return False
    sentence = re.sub(r"\s*\[\d+\]", "", sentence)  # markers inside quoted claims are not numbers claimed
    support = " ".join(q.quote for q in quotes)
    tokens, credit = {_norm(t) for t in _tokens(support)}, attribution(quotes)
    claim = _without(sentence, credit)  # the sentence without "The Spectator reported"
    if not numbers(claim) <= numbers(support) or not all(_name_in(n, tokens) for n in required_names(claim)):
        return False
    on_gold = any(overlaps(q.article_id, q.start, q.end, gold) for q in quotes)
    return content_share(claim, support, weight) >= (GOLD_SHARE if on_gold else FACT_SHARE)


def citation_metrics(sentences: list[dict], citations: dict[int, object], gold, weight: Callable[[str], float] = _uniform) -> dict:
    """ALCE-style: recall = supported sentences / sentences; precision = precise citations / citations.

    A sentence is supported when all its citations together support it. A citation is precise
    when the sentence is supported and the citation either supports it alone or is needed
    (the others without it do not).
    """
    supported, precise, total = 0, 0, 0
    for s in sentences:
        cited = [citations[n] for n in s["citations"] if n in citations]
        ok = supports(s["text"], cited, gold, weight)
        s["independent_support"] = ok
        supported += ok
        total += len(cited)
        if ok:
            for c in cited:
                rest = [x for x in cited if x is not c]
                precise += len(cited) == 1 or supports(s["text"], [c], gold, weight) or not supports(s["text"], rest, gold, weight)
    return {
        "citation_recall": supported / len(sentences) if sentences else None,
        "citation_precision": precise / total if total else (0.0 if sentences else None),
    }


# --- running one item -------------------------------------------------------------------------


class _RetrievalLog:
    """Wraps the bot's retriever.retrieve on the instance to keep what the answer actually used."""

    def __init__(self, retriever):
        self.retriever = retriever
        self.inner = retriever.retrieve
        self.last = None

    def __enter__(self):
        def retrieve(*args, **kwargs):
            self.last = self.inner(*args, **kwargs)
            return self.last

        self.retriever.retrieve = retrieve
        return self

    def __exit__(self, *exc):
        self.retriever.retrieve = self.inner


def run_item(bot, item: dict, log: _RetrievalLog, retrieval_only: bool = False) -> dict:
    """Ask the bot (through Bot.stream, exactly as the CLI does) and keep everything scoring needs."""
    from .answer import Delta, Done, Sentence
    from .app import BadInput
    from .llm import LLMError
    from .store import StoreError

    log.last = None
    raw: dict = {"error": None, "answer": "", "refused": None, "refusal_reason": None, "sentences": [],
                 "dropped_sentences": [], "left_out": [], "not_added": [], "citations": [], "timings": {}, "standalone_question": None}
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
                            "verifier_score": round(s.score, 3), "verifier_missing": list(s.missing), "program_quote": s.inline}
                           for s in answer.sentences],
                citations=[dict(c.__dict__) for c in answer.citations],
                left_out=list(answer.left_out),  # strict mode: the model's sentences no article supports
                not_added=list(answer.not_added),  # the one more fact asked for, dropped unseen
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


class _Quote:
    def __init__(self, c: dict):
        self.article_id, self.start, self.end, self.quote = c["article_id"], c["start"], c["end"], c["quote"]
        self.outlet, self.author = c.get("outlet") or "", c.get("author") or ""


def score_item(item: dict, raw: dict, spans, retrieval_only: bool = False, weight: Callable[[str], float] = _uniform,
               labels: dict[str, bool] | None = None) -> dict:
    """Metrics of one item; None where a metric does not apply."""
    answerable = item["expect"] == "answer"
    m: dict = {"hit_rate": None, "mrr": None, "quote_hit": None, "quote_recall": None}
    if answerable and raw["retrieval"] is not None:
        m.update(retrieval_metrics(item["gold_articles"], raw["_passages"], spans))
    if retrieval_only:
        return m
    m["errors"] = 1 if raw["error"] else 0
    if raw["error"]:  # counts as wrong everywhere, so a crash never improves a mean
        m.update(refusal_correct=0.0, passed=False, **({"fact_recall": 0.0, "facts_all": 0.0} if answerable else {}))
        return m
    refused = bool(raw["refused"])
    hits = fact_hits(raw["answer"], item["facts"]) if answerable and not refused else [False] * len(item["facts"])
    bad = violations(raw["answer"], item["must_not_contain"])
    m.update(
        fact_recall=sum(hits) / len(hits) if answerable and hits else None,
        facts_all=float(all(hits)) if answerable else None,
        missing_facts=[f[0] for f, ok in zip(item["facts"], hits) if not ok],
        refusal_correct=float(refused != answerable),
        false_refusal=int(answerable and refused),
        missed_refusal=int(not answerable and not refused),
        must_not_contain=bad,
        latency_total=raw["timings"].get("total"),
        latency_first_token=raw["timings"].get("first_token"),
    )
    if not refused:
        cites = {c["n"]: _Quote(c) for c in raw["citations"]}
        m.update(citation_metrics(raw["sentences"], cites, spans, weight))
    # The model's own sentences the reader sees (kept by the verifier; the program's verbatim quotes
    # apart), scored without the quotes and against the hand labels.
    shown = [s["text"] for s in raw["sentences"] if s["verifier_supported"] and not is_program_quote(s)]
    if answerable:
        model_hits = fact_hits(" ".join(shown), item["facts"]) if not refused else [False] * len(item["facts"])
        m["fact_recall_model"] = sum(model_hits) / len(model_hits) if model_hits else None
    labels = labels if labels is not None else {}
    m["shown"] = len(shown)
    m["false_sentences"] = [t for t in shown if labels.get(label_key(t)) is False]
    m["unlabelled_sentences"] = [t for t in shown if label_key(t) not in labels]
    m["answered"] = int(not refused)
    m["verifier_stricter"] = sum(1 for s in raw["sentences"] if s.get("independent_support") and not s["verifier_supported"])
    m["verifier_laxer"] = sum(1 for s in raw["sentences"] if s["verifier_supported"] and not s.get("independent_support"))
    m["passed"] = bool(m["refusal_correct"] and not bad and (not answerable or all(hits)))
    return m


# --- aggregation -----------------------------------------------------------------------------


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def percentile(values, q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100) of the non-None values."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    pos = (len(values) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(values) - 1)
    return round(values[lo] + (values[hi] - values[lo]) * (pos - lo), 3)


def aggregate(results: list[dict]) -> dict:
    """Aggregate per-item results ({"item": gold item, "metrics": ...}) into one row of metrics."""
    ms = [r["metrics"] for r in results]
    answer = [r["metrics"] for r in results if r["item"]["expect"] == "answer"]
    refuse = [r["metrics"] for r in results if r["item"]["expect"] == "refuse"]
    generated = [m for m in ms if "errors" in m]  # items that went through the LLM (not retrieval-only)
    total = [m["latency_total"] for m in ms if m.get("latency_total") is not None]
    first = [m["latency_first_token"] for m in ms if m.get("latency_first_token") is not None]
    count = lambda key, rows: sum(m.get(key) or 0 for m in rows) if generated else None  # noqa: E731
    return {
        "n": len(results), "n_answer": len(answer), "n_refuse": len(refuse),
        "hit_rate": _mean(m["hit_rate"] for m in answer),
        "mrr": _mean(m["mrr"] for m in answer),
        "quote_hit": _mean(m["quote_hit"] for m in answer),
        "quote_recall": _mean(m["quote_recall"] for m in answer),
        "fact_recall": _mean(m.get("fact_recall") for m in answer),
        "facts_all": _mean(m.get("facts_all") for m in answer),
        "citation_precision": _mean(m.get("citation_precision") for m in ms),
        "citation_recall": _mean(m.get("citation_recall") for m in ms),
        "refusal_accuracy": _mean(m.get("refusal_correct") for m in ms),
        "must_refuse_accuracy": _mean(1 - m["missed_refusal"] for m in refuse if m.get("missed_refusal") is not None),
        "answer_rate": _mean(1 - m["false_refusal"] for m in answer if m.get("false_refusal") is not None),
        "false_refusals": count("false_refusal", answer),
        "missed_refusals": count("missed_refusal", refuse),
        "must_not_contain_violations": sum(1 for m in ms if m.get("must_not_contain")) if generated else None,
        "pass_rate": _mean(float(m["passed"]) if "passed" in m else None for m in ms) if generated else None,
        "errors": count("errors", ms),
        "verifier_stricter": count("verifier_stricter", ms),
        "verifier_laxer": count("verifier_laxer", ms),
        "fact_recall_model": _mean(m.get("fact_recall_model") for m in answer),
        "shown_sentences": count("shown", ms),
        "false_shown": _per_100_answers(ms, "false_sentences") if generated else None,
        "unlabelled_shown": sum(len(m.get("unlabelled_sentences") or []) for m in ms) if generated else None,
        "latency_total_median": round(statistics.median(total), 3) if total else None,
        "latency_total_p95": percentile(total, 95),
        "latency_first_token_median": round(statistics.median(first), 3) if first else None,
        "latency_first_token_p95": percentile(first, 95),
    }


def _per_100_answers(ms: list[dict], key: str) -> float | None:
    """Sentences listed under `key`, per 100 answers (items not refused)."""
    answered = sum(m.get("answered") or 0 for m in ms)
    return round(100 * sum(len(m.get(key) or []) for m in ms) / answered, 2) if answered else None


def bootstrap_ci(results: list[dict], keys=CI_METRICS, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> dict:
    """metric -> [low, high]: the 2.5th and 97.5th percentiles of the metric over `samples`
    resamples of the items with replacement (seeded, so a report is reproducible)."""
    import random

    rng = random.Random(seed)
    draws: dict[str, list[float]] = {k: [] for k in keys}
    for _ in range(samples if results else 0):
        agg = aggregate([rng.choice(results) for _ in results])
        for k in keys:
            if agg.get(k) is not None:
                draws[k].append(agg[k])
    return {k: [percentile(v, 2.5), percentile(v, 97.5)] for k, v in draws.items() if v}


def aggregate_all(results: list[dict]) -> tuple[dict, dict]:
    """(overall, {category: aggregate}) with categories in gold-file order; overall["ci"] holds
    bootstrap 95 % intervals."""
    cats: dict[str, list[dict]] = {}
    for r in results:
        cats.setdefault(r["item"]["category"], []).append(r)
    overall = aggregate(results)
    overall["ci"] = bootstrap_ci(results)
    return overall, {c: aggregate(rs) for c, rs in cats.items()}


def aggregate_splits(results: list[dict]) -> dict:
    """split -> aggregate with intervals, when a run holds more than one split."""
    splits: dict[str, list[dict]] = {}
    for r in results:
        splits.setdefault(r["item"].get("split", "dev"), []).append(r)
    return {name: {**aggregate(rs), "ci": bootstrap_ci(rs)} for name, rs in splits.items()} if len(splits) > 1 else {}


# --- comparison and gate ---------------------------------------------------------------------


def compare(now: dict, base: dict | None) -> dict[str, dict]:
    """metric -> {now, base, delta, worse} for metrics present in both."""
    out = {}
    for key, higher in HIGHER_IS_BETTER.items():
        a, b = now.get(key), (base or {}).get(key)
        if a is None or b is None:
            continue
        delta = round(a - b, 4)
        out[key] = {"now": a, "base": b, "delta": delta, "worse": (delta < 0) if higher else (delta > 0)}
    return out


def load_thresholds(path: Path = THRESHOLDS_PATH) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {"min": data.get("min", {}), "max": data.get("max", {})}


def check_gate(overall: dict, thresholds: dict, categories: dict | None = None) -> tuple[list[str], list[str]]:
    """(failures, skipped): one message per metric outside its bound; metrics not measured are skipped.
    `thresholds["categories"]` holds bounds for single categories ("conflict.pass_rate")."""
    failures, skipped = [], []
    scopes = [("", overall, thresholds)]
    for cat, bounds in thresholds.get("categories", {}).items():
        scopes.append((f"{cat}.", (categories or {}).get(cat, {}), bounds))
    for prefix, values, limits in scopes:
        for kind, bounds in (("min", limits.get("min", {})), ("max", limits.get("max", {}))):
            for key, bound in bounds.items():
                value = values.get(key)
                if value is None:
                    skipped.append(prefix + key)
                elif (kind == "min" and value < bound) or (kind == "max" and value > bound):
                    failures.append(f"{prefix}{key} = {value:g} {'<' if kind == 'min' else '>'} {kind} {bound:g}")
    return failures, skipped


# --- reports ---------------------------------------------------------------------------------

_TABLE_COLS = [("n", "n"), ("hit_rate", "hit@k"), ("mrr", "MRR"), ("quote_hit", "quote hit"),
               ("fact_recall", "fact recall"), ("facts_all", "all facts"), ("citation_precision", "cite P"),
               ("citation_recall", "cite R"), ("refusal_accuracy", "refusal acc"), ("false_refusals", "false ref"),
               ("missed_refusals", "missed ref"), ("pass_rate", "pass"), ("latency_total_median", "median s")]


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def category_table(categories: dict) -> str:
    head = "| category | " + " | ".join(label for _, label in _TABLE_COLS) + " |"
    rule = "|---|" + "---:|" * len(_TABLE_COLS)
    rows = [f"| {c} | " + " | ".join(_fmt(a.get(k)) for k, _ in _TABLE_COLS) + " |" for c, a in categories.items()]
    return "\n".join([head, rule, *rows])


def _failure_lines(results: list[dict]) -> list[str]:
    lines = []
    for r in results:
        item, m, raw = r["item"], r["metrics"], r["raw"]
        if m.get("passed", True) and not raw["error"]:
            continue
        why = []
        if raw["error"]:
            why.append(f"error: {raw['error']}")
        elif m.get("false_refusal"):
            why.append(f"false refusal ({raw['refusal_reason']})")
        elif m.get("missed_refusal"):
            why.append("missed refusal")
        if m.get("missing_facts") and not m.get("false_refusal"):
            why.append("missing facts: " + ", ".join(f"`{f}`" for f in m["missing_facts"]))
        if m.get("must_not_contain"):
            why.append("must not contain: " + ", ".join(f"`{s}`" for s in m["must_not_contain"]))
        lines.append(f"- **{item['id']}** ({'; '.join(why)})  \n  Q: {item['question']}  \n  A: {raw['answer'] or '–'}")
        if raw.get("standalone_question"):
            lines.append(f"  (rewritten: {raw['standalone_question']})")
        for s in raw.get("dropped_sentences", []):
            lines.append(f"  - dropped by verifier (score {s['score']}, missing {s['missing']}): {s['text']}")
        if m.get("hit_rate") == 0:
            got = ", ".join(p["article_id"] for p in (raw["retrieval"] or {}).get("passages", []))
            lines.append(f"  - retrieval miss: wanted {item['gold_articles']}, got {got}")
    return lines


def _unsupported_lines(results: list[dict], limit: int = 40) -> list[str]:
    lines = []
    for r in results:
        for s in r["raw"]["sentences"]:
            if not s.get("independent_support"):
                flag = "verifier said supported" if s["verifier_supported"] else "verifier agreed"
                lines.append(f"- {r['item']['id']}: {s['text']} {s['citations']} ({flag})")
    return lines[:limit] + ([f"- … {len(lines) - limit} more in latest.json"] if len(lines) > limit else [])


def report_md(report: dict, results: list[dict]) -> str:
    o, deltas = report["overall"], report.get("baseline_deltas", {})
    out = [f"# Evaluation report ({report['created']})", "",
           f"{o['n']} items ({report['mode']}, subset: {report['subset'] or 'all'}), k = {report['k']}, "
           f"backend {report.get('backend') or '–'} {report.get('model') or ''}, wall time {report['wall_seconds']:.0f} s.", ""]
    if report.get("gate"):
        g = report["gate"]
        out += [f"**Gate: {'PASSED' if not g['failures'] else 'FAILED'}**" + "".join(f"\n- {f}" for f in g["failures"]), ""]
    ci = o.get("ci", {})
    out += ["## Overall", "", "| metric | value | 95 % CI | baseline | Δ |", "|---|---:|---:|---:|---:|"]
    for key in HIGHER_IS_BETTER:
        d = deltas.get(key)
        mark = " ⚠" if d and d["worse"] else ""
        delta = f"{d['delta']:+.3f}{mark}" if d else "–"
        out.append(f"| {key} | {_fmt(o.get(key))} | {_fmt_ci(ci.get(key))} | {_fmt(d['base']) if d else '–'} | {delta} |")
    if report.get("splits"):
        out += ["", "## Per split (bootstrap 95 % intervals)", "", split_table(report["splits"])]
    out += ["", "## Per category", "", category_table(report["categories"]), "",
            "![per-category chart](latest.png)", "", "## Failures", ""]
    out += _failure_lines(results) or ["none"]
    out += ["", "## Shown sentences labelled false (evals/labels.jsonl)", ""]
    out += [f"- {r['item']['id']}: {t}" for r in results for t in r["metrics"].get("false_sentences") or []] or ["none"]
    out += ["", "## Shown sentences without a label (add them to evals/labels.jsonl; reports/unlabelled.jsonl lists them)", ""]
    out += [f"- {r['item']['id']}: {t}" for r in results for t in r["metrics"].get("unlabelled_sentences") or []] or ["none"]
    out += ["", "## Sentences the independent check did not find supported by their citations", ""]
    out += _unsupported_lines(results) or ["none"]
    return "\n".join(out) + "\n"


def _fmt_ci(interval) -> str:
    return f"{_fmt(interval[0])}–{_fmt(interval[1])}" if interval else "–"


_SPLIT_COLS = ["n", "fact_recall", "fact_recall_model", "citation_precision", "citation_recall", "pass_rate",
               "refusal_accuracy", "false_refusals", "missed_refusals", "false_shown", "unlabelled_shown"]


def split_table(splits: dict) -> str:
    head = "| split | " + " | ".join(_SPLIT_COLS) + " |"
    rule = "|---|" + "---:|" * len(_SPLIT_COLS)
    rows = []
    for name, a in splits.items():
        cells = [_fmt(a.get(k)) + (f" ({_fmt_ci(a['ci'][k])})" if k in a.get("ci", {}) else "") for k in _SPLIT_COLS]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join([head, rule, *rows])


def chart(categories: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(categories)
    series = [("fact_recall", "fact recall"), ("citation_precision", "citation precision"), ("refusal_accuracy", "refusal accuracy")]
    fig, ax = plt.subplots(figsize=(max(9, 1.2 * len(names) + 2), 4.5))
    width = 0.8 / len(series)
    for i, (key, label) in enumerate(series):
        values = [categories[c].get(key) for c in names]
        ax.bar([x + (i - 1) * width for x in range(len(names))], [float("nan") if v is None else v for v in values], width, label=label)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share")
    ax.set_title("Answer quality per category")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _item_json(r: dict) -> dict:
    raw = {k: v for k, v in r["raw"].items() if not k.startswith("_")}
    return {"id": r["item"]["id"], "category": r["item"]["category"], "expect": r["item"]["expect"],
            "question": r["item"]["question"], **raw, "metrics": r["metrics"]}


def write_reports(report: dict, results: list[dict], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {**report, "items": [_item_json(r) for r in results]}
    (out_dir / "latest.json").write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "latest.md").write_text(report_md(report, results), encoding="utf-8")
    # Ready to label: one line per unlabelled shown sentence, "label" to be set to "true" or "false".
    unlabelled = {label_key(t): r["item"]["id"] for r in results for t in r["metrics"].get("unlabelled_sentences") or []}
    (out_dir / "unlabelled.jsonl").write_text("".join(
        json.dumps({"sentence": t, "label": None, "item": i}, ensure_ascii=False) + "\n" for t, i in unlabelled.items()), encoding="utf-8")
    chart(report["categories"], out_dir / "latest.png")


def _print_deltas(deltas: dict, title: str) -> None:
    if not deltas:
        return
    print(f"\n{title}")
    for key, d in deltas.items():
        if d["delta"] != 0:
            print(f"  {key:28s} {_fmt(d['base']):>8s} -> {_fmt(d['now']):>8s}  ({d['delta']:+.3f}{'  worse' if d['worse'] else ''})")


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
         baseline_path: Path | None = None, split: str = "dev", labels_path: Path = LABELS_PATH) -> int:
    """Run the eval on one split ("dev", "test") or "all"; 0 = done (and gate passed), 1 = gate
    failed, 2 = bad use. Every item failing raises LLMError. `gold_path` overrides the split's file."""
    from tqdm import tqdm

    from .app import Bot
    from .llm import LLMError

    if split == "all" and (gate or write_baseline):
        print("error: --gate and --write-baseline take one split (dev or test), not all", file=sys.stderr)
        return 2
    items = select(load_gold(gold_path) if gold_path else load_split(split), subset)
    default_thresholds, default_baseline = SPLITS.get(split, (None, THRESHOLDS_PATH, None))[1:]
    thresholds_path, baseline_path = thresholds_path or default_thresholds, baseline_path or default_baseline
    if write_baseline and (subset or retrieval_only):
        print("error: a baseline is written only from a full run of the whole gold set", file=sys.stderr)
        return 2
    t0, code = time.perf_counter(), _code_version()  # the code that is loaded now, not at the end of a long run
    bot = bot or Bot(settings)
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
        "subset": subset if isinstance(subset, str) or subset is None else ",".join(subset),
        "k": settings.top_k, "backend": backend, "model": model,
        "wall_seconds": round(time.perf_counter() - t0, 1), "code": code, "settings": _settings_json(settings),
    }
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
        print(f"{overall['unlabelled_shown']} shown sentences have no label: label them in evals/labels.jsonl "
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

    from .corpus import load_corpus

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
    return finish(report, results, gate=gate, write_baseline=write_baseline and not report.get("subset") and not retrieval_only,
                  report_dir=report_dir or report_json.parent, thresholds_path=thresholds_path, baseline_path=baseline_path)
