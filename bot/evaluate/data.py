"""Gold items of the two splits, their selection, and the hand labels of shown sentences."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable


from ..settings import ROOT

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

# --- gold ----------------------------------------------------------------------------------


def load_gold(path: Path = GOLD_PATH) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_split(split: str) -> list[dict]:
    """The items of one split ("dev", "test") or of both ("all"), each tagged with its split."""
    names = list(SPLITS) if split == "all" else [split]
    if any(n not in SPLITS for n in names):
        from ..app import BadInput

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
        from ..app import BadInput

        cats = sorted({i["category"] for i in items})
        raise BadInput(f"unknown categories or item ids in --subset: {', '.join(unknown)} (categories: {', '.join(cats)})")
    return [i for i in items if i["id"] in names or i["category"] in names]



# --- text normalisation shared by matching and labels ----------------------------------------

def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def strip_markers(text: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", text)
