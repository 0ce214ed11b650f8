"""Structural checks for the hand-written gold set (``evals/gold.jsonl``).

These tests do not run the bot. They check that the gold set is well formed and
grounded in the corpus: every quote is verbatim article text, and every
required fact can be found in the item's quotes or reference answer.
See ``evals/GOLD.md`` for the schema and the judgement calls behind the items.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.corpus import load_corpus

ROOT = Path(__file__).parents[1]
GOLD_PATH = ROOT / "evals" / "gold.jsonl"
CORPUS_DIR = ROOT / "corpus"

# category -> id prefix (ids are "<prefix>-NN")
CATEGORIES = {
    "single_fact": "single",
    "numbers_dates": "numbers",
    "synthesis": "synthesis",
    "comparison": "comparison",
    "conflict": "conflict",
    "people": "people",
    "chinese_terms": "terms",
    "glossary": "glossary",
    "follow_up": "followup",
    "out_of_corpus": "ooc",
    "adversarial": "adversarial",
}
MIN_PER_CATEGORY = 5
MIN_TOTAL = 60
MIN_PER_CATEGORY_OVERRIDE = {"out_of_corpus": 8, "adversarial": 6}

REQUIRED_KEYS = {
    "id": str,
    "category": str,
    "question": str,
    "history": list,
    "expect": str,
    "reference_answer": str,
    "facts": list,
    "must_not_contain": list,
    "gold_articles": list,
    "quotes": list,
}


def collapse(text: str) -> str:
    """Collapse every run of whitespace (including no-break and en spaces) to one space."""
    return re.sub(r"\s+", " ", text).strip()


def _load_items() -> list[dict]:
    items = []
    with GOLD_PATH.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - reported as a failure
                pytest.fail(f"{GOLD_PATH.name} line {number} is not valid JSON: {exc}")
            assert isinstance(item, dict), f"line {number}: expected a JSON object, got {type(item).__name__}"
            items.append(item)
    return items


ITEMS = _load_items()
ANSWER_ITEMS = [item for item in ITEMS if item.get("expect") == "answer"]
REFUSE_ITEMS = [item for item in ITEMS if item.get("expect") == "refuse"]


def _ids(items: list[dict]) -> list[str]:
    return [str(item.get("id")) for item in items]


@pytest.fixture(scope="module")
def corpus_paragraphs() -> dict[str, list[str]]:
    """Article id -> its body paragraphs, whitespace-collapsed (a quote must sit inside one paragraph)."""
    return {article.id: [collapse(p) for p in article.text.split("\n\n")] for article in load_corpus(CORPUS_DIR)}


def test_gold_file_is_not_empty():
    assert ITEMS, f"{GOLD_PATH} holds no items"


def test_ids_are_unique():
    counts = Counter(_ids(ITEMS))
    duplicates = sorted(key for key, count in counts.items() if count > 1)
    assert not duplicates, f"duplicate ids: {duplicates}"


def test_total_and_per_category_counts():
    counts = Counter(item.get("category") for item in ITEMS)
    assert len(ITEMS) >= MIN_TOTAL, f"only {len(ITEMS)} items, want at least {MIN_TOTAL}"
    for category in CATEGORIES:
        want = MIN_PER_CATEGORY_OVERRIDE.get(category, MIN_PER_CATEGORY)
        assert counts[category] >= want, f"category {category!r} has {counts[category]} items, want at least {want}"
    follow_ups = [item for item in ITEMS if item.get("category") == "follow_up"]
    assert all(item.get("history") for item in follow_ups), "every follow_up item needs a history"


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_item_structure(item):
    item_id = item.get("id")
    for key, kind in REQUIRED_KEYS.items():
        assert key in item, f"{item_id}: missing key {key!r}"
        assert isinstance(item[key], kind), f"{item_id}: {key!r} has type {type(item[key]).__name__}"
    extra = set(item) - set(REQUIRED_KEYS)
    assert not extra, f"{item_id}: unknown keys {sorted(extra)}"

    category = item["category"]
    assert category in CATEGORIES, f"{item_id}: unknown category {category!r}"
    assert re.fullmatch(rf"{CATEGORIES[category]}-\d{{2}}", item_id), (
        f"{item_id}: id must look like '{CATEGORIES[category]}-NN' for category {category!r}")
    assert item["expect"] in ("answer", "refuse"), f"{item_id}: expect must be 'answer' or 'refuse'"
    assert item["question"].strip(), f"{item_id}: empty question"
    assert item["reference_answer"].strip(), f"{item_id}: empty reference answer (refuse items say why they are refused)"

    for turn in item["history"]:
        assert isinstance(turn, dict) and set(turn) == {"role", "content"}, f"{item_id}: bad history turn {turn!r}"
        assert turn["role"] in ("user", "assistant"), f"{item_id}: bad history role {turn['role']!r}"
        assert isinstance(turn["content"], str) and turn["content"].strip(), f"{item_id}: empty history turn"
    if item["history"]:
        roles = [turn["role"] for turn in item["history"]]
        assert roles[0] == "user" and roles[-1] == "assistant", f"{item_id}: history must run user ... assistant"
        assert all(a != b for a, b in zip(roles, roles[1:])), f"{item_id}: history roles must alternate"

    for fact in item["facts"]:
        assert isinstance(fact, list) and fact, f"{item_id}: each fact must be a non-empty list of variants"
        assert all(isinstance(v, str) and v.strip() for v in fact), f"{item_id}: fact variants must be non-empty strings"
    assert all(isinstance(s, str) and s.strip() for s in item["must_not_contain"]), (
        f"{item_id}: must_not_contain entries must be non-empty strings")
    assert all(isinstance(a, str) for a in item["gold_articles"]), f"{item_id}: gold_articles must be strings"
    assert len(set(item["gold_articles"])) == len(item["gold_articles"]), f"{item_id}: duplicate gold article"
    assert all(isinstance(q, str) and q.strip() for q in item["quotes"]), f"{item_id}: quotes must be non-empty strings"


@pytest.mark.parametrize("item", REFUSE_ITEMS, ids=_ids(REFUSE_ITEMS))
def test_refuse_items_carry_no_answer(item):
    item_id = item["id"]
    assert item["facts"] == [], f"{item_id}: refuse item must have no facts"
    assert item["gold_articles"] == [], f"{item_id}: refuse item must have no gold articles"
    assert item["quotes"] == [], f"{item_id}: refuse item must have no quotes"


@pytest.mark.parametrize("item", ANSWER_ITEMS, ids=_ids(ANSWER_ITEMS))
def test_answer_items_are_complete(item):
    item_id = item["id"]
    assert 1 <= len(item["facts"]) <= 3, f"{item_id}: want 1-3 facts, got {len(item['facts'])}"
    assert item["gold_articles"], f"{item_id}: answer item needs at least one gold article"
    assert item["quotes"], f"{item_id}: answer item needs at least one quote"
    reference = item["reference_answer"].lower()
    for banned in item["must_not_contain"]:
        assert banned.lower() not in reference, f"{item_id}: reference answer contains banned string {banned!r}"


@pytest.mark.parametrize("item", ANSWER_ITEMS, ids=_ids(ANSWER_ITEMS))
def test_quotes_are_verbatim_in_gold_articles(item, corpus_paragraphs):
    item_id = item["id"]
    unknown = [a for a in item["gold_articles"] if a not in corpus_paragraphs]
    assert not unknown, f"{item_id}: gold article(s) not in corpus: {unknown}"
    supported = set()
    for quote in item["quotes"]:
        needle = collapse(quote)
        hits = [a for a in item["gold_articles"] if any(needle in p for p in corpus_paragraphs[a])]
        assert hits, (f"{item_id}: quote not found verbatim in one body paragraph of any of "
                      f"{item['gold_articles']}: {quote!r}")
        supported.update(hits)
    unsupported = [a for a in item["gold_articles"] if a not in supported]
    assert not unsupported, f"{item_id}: no quote comes from gold article(s) {unsupported}"


@pytest.mark.parametrize("item", ANSWER_ITEMS, ids=_ids(ANSWER_ITEMS))
def test_facts_are_grounded(item):
    item_id = item["id"]
    evidence = collapse(" ".join(item["quotes"] + [item["reference_answer"]])).lower()
    for fact in item["facts"]:
        assert any(collapse(variant).lower() in evidence for variant in fact), (
            f"{item_id}: fact {fact!r} occurs in neither its quotes nor its reference answer")
