"""Structural checks for the hand-written gold set: the ``dev`` split (``evals/gold.jsonl``)
and the held-back ``test`` split (``evals/gold_test.jsonl``).

These tests do not run the bot. They check that both files are well formed and
grounded in the corpus: every quote is verbatim article text, and every
required fact can be found in the item's quotes or reference answer. They also
keep the splits apart: ids are unique across both files and no question is asked
in both. See ``evals/GOLD.md`` for the schema, the splits and the judgement calls.
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
TEST_PATH = ROOT / "evals" / "gold_test.jsonl"
CORPUS_DIR = ROOT / "corpus"
# split -> its file, and the prefix its ids carry before "<category prefix>-NN"
SPLITS = {"dev": GOLD_PATH, "test": TEST_PATH}
ID_PREFIX = {"dev": "", "test": "test-"}

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
    "attribution": "attribution",  # added with the test split: "Who said ...?", "According to whom ...?"
}
MIN_TOTAL = 60
# dev: every category has at least 5 items (attribution since 2026-12-03).
DEV_MIN_PER_CATEGORY = {c: 5 for c in CATEGORIES} | {"out_of_corpus": 8, "adversarial": 6}
# test: the mix it was written to.
TEST_MIN_REFUSE = 10
TEST_MIN_PER_CATEGORY = {"follow_up": 6, "attribution": 8}

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
OPTIONAL_KEYS = {"split": str}  # if present, it names the file's split


def collapse(text: str) -> str:
    """Collapse every run of whitespace (including no-break and en spaces) to one space."""
    return re.sub(r"\s+", " ", text).strip()


def _load_items(split: str) -> list[dict]:
    path = SPLITS[split]
    items = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - reported as a failure
                pytest.fail(f"{path.name} line {number} is not valid JSON: {exc}")
            assert isinstance(item, dict), f"{path.name} line {number}: expected a JSON object, got {type(item).__name__}"
            items.append(item)
    return items


ITEMS_BY_SPLIT = {split: _load_items(split) for split in SPLITS}
ITEMS = ITEMS_BY_SPLIT["dev"]
TEST_ITEMS = ITEMS_BY_SPLIT["test"]
# (split, item) pairs over both files, for the per-item checks
ALL = [(split, item) for split, items in ITEMS_BY_SPLIT.items() for item in items]
ANSWER_ITEMS = [item for _, item in ALL if item.get("expect") == "answer"]
REFUSE_ITEMS = [item for _, item in ALL if item.get("expect") == "refuse"]


def _ids(items: list[dict]) -> list[str]:
    return [str(item.get("id")) for item in items]


@pytest.fixture(scope="module")
def corpus_paragraphs() -> dict[str, list[str]]:
    """Article id -> its body paragraphs, whitespace-collapsed (a quote must sit inside one paragraph)."""
    return {article.id: [collapse(p) for p in article.text.split("\n\n")] for article in load_corpus(CORPUS_DIR)}


@pytest.mark.parametrize("split", SPLITS)
def test_gold_file_is_not_empty(split):
    assert ITEMS_BY_SPLIT[split], f"{SPLITS[split]} holds no items"


def test_ids_are_unique():
    """Unique within each file and across the two files."""
    counts = Counter(str(item.get("id")) for _, item in ALL)
    duplicates = sorted(key for key, count in counts.items() if count > 1)
    assert not duplicates, f"duplicate ids: {duplicates}"


def _normalised_question(item: dict) -> str:
    return collapse(str(item.get("question", ""))).casefold()


def test_no_question_is_in_both_splits():
    dev = {_normalised_question(item): item.get("id") for item in ITEMS}
    shared = [(dev[q], item.get("id")) for item in TEST_ITEMS if (q := _normalised_question(item)) in dev]
    assert not shared, f"questions asked in both dev and test: {shared}"


def test_total_and_per_category_counts():
    counts = Counter(item.get("category") for item in ITEMS)
    assert len(ITEMS) >= MIN_TOTAL, f"dev: only {len(ITEMS)} items, want at least {MIN_TOTAL}"
    for category, want in DEV_MIN_PER_CATEGORY.items():
        assert counts[category] >= want, f"dev: category {category!r} has {counts[category]} items, want at least {want}"
    follow_ups = [item for item in ITEMS if item.get("category") == "follow_up"]
    assert all(item.get("history") for item in follow_ups), "dev: every follow_up item needs a history"


def test_test_split_counts():
    counts = Counter(item.get("category") for item in TEST_ITEMS)
    assert len(TEST_ITEMS) >= MIN_TOTAL, f"test: only {len(TEST_ITEMS)} items, want at least {MIN_TOTAL}"
    refuse = sum(item.get("expect") == "refuse" for item in TEST_ITEMS)
    assert refuse >= TEST_MIN_REFUSE, f"test: {refuse} refuse items, want at least {TEST_MIN_REFUSE}"
    for category, want in TEST_MIN_PER_CATEGORY.items():
        assert counts[category] >= want, f"test: category {category!r} has {counts[category]} items, want at least {want}"
    follow_ups = [item for item in TEST_ITEMS if item.get("category") == "follow_up"]
    assert all(item.get("history") for item in follow_ups), "test: every follow_up item needs a history"


@pytest.mark.parametrize("split, item", ALL, ids=[str(item.get("id")) for _, item in ALL])
def test_item_structure(split, item):
    item_id = item.get("id")
    for key, kind in REQUIRED_KEYS.items():
        assert key in item, f"{item_id}: missing key {key!r}"
        assert isinstance(item[key], kind), f"{item_id}: {key!r} has type {type(item[key]).__name__}"
    extra = set(item) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS)
    assert not extra, f"{item_id}: unknown keys {sorted(extra)}"
    if "split" in item:
        assert item["split"] in SPLITS, f"{item_id}: split must be one of {sorted(SPLITS)}, got {item['split']!r}"
        assert item["split"] == split, f"{item_id}: says split {item['split']!r} but sits in {SPLITS[split].name} ({split})"

    category = item["category"]
    assert category in CATEGORIES, f"{item_id}: unknown category {category!r}"
    pattern = f"{ID_PREFIX[split]}{CATEGORIES[category]}-NN"
    assert re.fullmatch(rf"{re.escape(ID_PREFIX[split])}{CATEGORIES[category]}-\d{{2,}}", item_id), (
        f"{item_id}: id must look like '{pattern}' for category {category!r} in the {split} split")
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
