"""Scoring: facts, retrieval, the independent citation-support check, per-item metrics,
aggregates with bootstrap intervals, comparison with a baseline and the gate."""

from __future__ import annotations

import json
import math
import re
import statistics
from pathlib import Path
from typing import Callable

from llama_index.core.evaluation.retrieval.metrics import MRR, HitRate

from ..sentences import spelled_out
from .data import THRESHOLDS_PATH, collapse, is_program_quote, label_key, strip_markers

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
    tokens |= spelled_out(support)  # "CEO" is said by "the company's chief executive" (general language data)
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
        # A quote standing for a model sentence (answer_style "quotes") would support itself by
        # construction: the model's sentence is what its citations are measured against.
        claim = s.get("model_text") or s["text"]
        ok = supports(claim, cited, gold, weight)
        s["independent_support"] = ok
        supported += ok
        total += len(cited)
        if ok:
            for c in cited:
                rest = [x for x in cited if x is not c]
                precise += len(cited) == 1 or supports(claim, [c], gold, weight) or not supports(claim, rest, gold, weight)
    return {
        "citation_recall": supported / len(sentences) if sentences else None,
        "citation_precision": precise / total if total else (0.0 if sentences else None),
    }



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
    # A model sentence shown as the sentences it cites (Settings.answer_style "quotes") counts as
    # the model's choice for fact recall, but its text is the articles' own: nothing to label.
    chosen = [s["text"] for s in raw["sentences"] if s["verifier_supported"] and not is_program_quote(s)]
    shown = [s["text"] for s in raw["sentences"] if s["verifier_supported"] and not is_program_quote(s) and not s.get("model_text")]
    if answerable:
        model_hits = fact_hits(" ".join(chosen), item["facts"]) if not refused else [False] * len(item["facts"])
        m["fact_recall_model"] = sum(model_hits) / len(model_hits) if model_hits else None
    labels = labels if labels is not None else {}
    m["shown"] = len(shown)
    m["false_sentences"] = [t for t in shown if labels.get(label_key(t)) is False]
    m["unlabelled_sentences"] = [t for t in shown if label_key(t) not in labels]
    m["answered"] = int(not refused)
    # The independent judge reads answers only (above): a refusal's sentences have no verdict of its.
    judged = [] if refused else raw["sentences"]
    m["verifier_stricter"] = sum(1 for s in judged if s.get("independent_support") and not s["verifier_supported"])
    m["verifier_laxer"] = sum(1 for s in judged if s["verifier_supported"] and not s.get("independent_support"))
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
