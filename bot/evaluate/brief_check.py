"""`bot brief --check`: score a briefing against the strict briefing gold (evals/brief_gold_strict.yaml).

Four numbers a newcomer's briefing answers for (issue "A briefing a newcomer learns from"):
- coverage: the share of must-have facts found in their own section (a fact elsewhere does
  not count: a timeline event under "Key people" does not teach the order of events);
- false lines: shown lines labelled false in the hand audit (evals/brief_labels.jsonl), plus
  any line holding a `must_not_appear` phrase;
- off-section lines: labelled true but not on their section's subject;
- dangling references: a shown sentence that opens with a pronoun or "This" whose referent
  lies outside it ("This was particularly evident…").
Labels are keyed by section and line text so they carry over between builds; a line without one
is listed as unlabelled (written to evals/reports/brief_unlabelled.jsonl for labelling).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..settings import ROOT

GOLD = ROOT / "evals" / "brief_gold_strict.yaml"
LABELS = ROOT / "evals" / "brief_labels.jsonl"
THRESHOLDS = ROOT / "evals" / "brief_thresholds.json"
UNLABELLED = ROOT / "evals" / "reports" / "brief_unlabelled.jsonl"  # lines to audit, written by `bot brief --check`
GLOSSARY = "Glossary"
LABEL_VALUES = ("true", "false", "off_section")

# The metric's own reading, kept apart from the pipeline's (glossary.refers_back) so that the
# briefing is not scored by the rule that built it. A sentence opening with one of these points outside itself. "It is/was …" is mostly the
# empty "it" of "It was only a week later that …", and "This time" means these events: not counted.
_DANGLING = re.compile(r"^(?:(?:this|these|that|those)(?!\s+(?:time|year|week|month|day)\b)|such|he|she|his|her|they|their|them|its|"
                       r"the latter|the former|it(?!\s+(?:is|was|has been|had been|seems|seemed|appears|appeared)\b)|"
                       # a pronoun opening the first clause: "Although he took over the presidency …"
                       r"(?:although|though|when|while|as|after|before|since|because|if|once|until|unless|despite)\s+"
                       r"(?:he|she|they|his|her|their|him|them))\b",
                       re.IGNORECASE)
_QUOTED = re.compile(r"“([^”]+)”(?:\s*\[(\d+)\])?")


@dataclass
class BriefScore:
    facts: int = 0
    found: int = 0
    by_section: dict[str, list[int]] = field(default_factory=dict)  # title -> [found, facts]
    missing: list[str] = field(default_factory=list)  # "section: fact id"
    lines: int = 0
    false: list[str] = field(default_factory=list)
    off_section: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)  # "phrase | line"
    dangling: list[str] = field(default_factory=list)
    unlabelled: list[dict] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return self.found / self.facts if self.facts else 0.0

    def metrics(self) -> dict:
        return {"coverage": round(self.coverage, 3), "facts": self.facts, "found": self.found, "lines": self.lines,
                "false_lines": len(self.false) + len(self.forbidden), "off_section_lines": len(self.off_section),
                "dangling_references": len(self.dangling), "unlabelled_lines": len(self.unlabelled)}


def norm(text: str) -> str:
    """Text as matched and as keyed: one space, straight apostrophes and quotes, lower case."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split()).lower()


def load_gold(path: Path = GOLD) -> dict:
    gold = yaml.safe_load(path.read_text(encoding="utf-8"))
    for title, facts in gold["sections"].items():
        for f in facts:
            if not f.get("any") and not f.get("all"):
                raise ValueError(f"{path.name}: fact {title}/{f.get('id')} has neither `any` nor `all`")
    return gold


def label_key(text: str) -> str:
    """A line as its audit label is keyed: normalised, without [n] markers, whose numbers shift
    whenever an earlier line comes or goes (the words carry the truth, not the numbering)."""
    return norm(re.sub(r"\s*\[\d+\]", "", text))


def load_labels(path: Path = LABELS) -> dict[tuple[str, str], str]:
    labels: dict[tuple[str, str], str] = {}
    if path.exists():
        for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip():
                continue
            row = json.loads(raw)
            if row["label"] not in LABEL_VALUES:
                raise ValueError(f"{path.name} line {n}: label must be one of {', '.join(LABEL_VALUES)}")
            labels[(row["section"], label_key(row["text"]))] = row["label"]
    return labels


def sections_of(briefing) -> dict[str, list[str]]:
    """Section title -> its shown line texts; the glossary as "term: explanation"."""
    out = {s.title: [l.text for l in s.lines] for s in briefing.sections}
    out[GLOSSARY] = [f"{term}: {line.text}" for term, line in briefing.glossary if line]
    return out


def dangling(text: str, where: dict[int, tuple[str, int, int]] | None = None) -> bool:
    """Does a shown line open a sentence with a reference to something outside it? A line of
    quotes is judged by its quoted sentences; a line in the model's words by its own start.

    `where`: citation number -> (article id, start, end). A quote pointing back is resolved
    when the quote just before it in the line is the article sentence right before it ("The
    head of … was sacked on 6 January." [9] "He has now been arrested for treason." [10])."""
    quoted = [(m[1], int(m[2]) if m[2] else None) for m in _QUOTED.finditer(text)]
    if not quoted:
        quoted = [(re.sub(r"^[^:]{1,60}:\s+", "", text), None)]  # "Term: …" or "Outlet: …"
    where = where or {}
    for i, (q, n) in enumerate(quoted):
        if not _DANGLING.match(q.strip().lstrip("\"'…. ")):
            continue
        prev = where.get(quoted[i - 1][1]) if i else None
        here = where.get(n)
        if not (prev and here and prev[0] == here[0] and 0 <= here[1] - prev[2] <= 3):
            return True
    return False


def _has(text: str, phrase: str) -> bool:
    return norm(phrase) in text


def score(briefing, gold: dict, labels: dict[tuple[str, str], str]) -> BriefScore:
    result = BriefScore()
    shown = sections_of(briefing)
    where = {c.n: (c.article_id, c.start, c.end) for c in briefing.citations}
    for title, facts in gold["sections"].items():
        body = norm(" ".join(shown.get(title, [])))
        got = 0
        for f in facts:
            ok = (not f.get("any") or any(_has(body, v) for v in f["any"])) and all(_has(body, v) for v in f.get("all") or [])
            got += ok
            if not ok:
                result.missing.append(f"{title}: {f['id']}")
        result.by_section[title] = [got, len(facts)]
        result.facts += len(facts)
        result.found += got
    for title, lines in shown.items():
        for text in lines:
            result.lines += 1
            key = norm(text)
            for bad in gold.get("must_not_appear", []):
                if _has(key, bad["text"]):
                    result.forbidden.append(f"{bad['text']} | {text}")
            if dangling(text, where):
                result.dangling.append(text)
            label = labels.get((title, label_key(text)))
            if label is None:
                result.unlabelled.append({"section": title, "text": text, "label": None})
            elif label == "false":
                result.false.append(text)
            elif label == "off_section":
                result.off_section.append(text)
    return result


def gate(metrics: dict, thresholds: dict) -> list[str]:
    """Bounds not met: `min` and `max` per metric name, as in evals/thresholds.json."""
    fails = [f"{k} = {metrics[k]} < min {v}" for k, v in thresholds.get("min", {}).items() if metrics[k] < v]
    fails += [f"{k} = {metrics[k]} > max {v}" for k, v in thresholds.get("max", {}).items() if metrics[k] > v]
    return fails


def report(result: BriefScore) -> str:
    m = result.metrics()
    out = [f"Briefing check: coverage {m['coverage']:.3f} ({m['found']} of {m['facts']} must-have facts in their section), "
           f"{m['lines']} lines: {m['false_lines']} false, {m['off_section_lines']} off-section, "
           f"{m['dangling_references']} dangling references, {m['unlabelled_lines']} unlabelled", ""]
    out += [f"  {t}: {g} of {n}" for t, (g, n) in result.by_section.items()]
    for name, items in (("missing", result.missing), ("false", result.false), ("must not appear", result.forbidden),
                        ("off-section", result.off_section), ("dangling", result.dangling)):
        if items:
            out += ["", f"{name}:"] + [f"  - {x}" for x in items]
    return "\n".join(out)


def check(briefing, gold_path: Path = GOLD, labels_path: Path = LABELS, thresholds_path: Path = THRESHOLDS,
          unlabelled_path: Path | None = None) -> tuple[BriefScore, list[str]]:
    """Score `briefing`, write its unlabelled lines for the audit, and gate when bounds exist."""
    result = score(briefing, load_gold(gold_path), load_labels(labels_path))
    if unlabelled_path is not None:
        unlabelled_path.parent.mkdir(parents=True, exist_ok=True)
        unlabelled_path.write_text("".join(json.dumps(u, ensure_ascii=False) + "\n" for u in result.unlabelled), encoding="utf-8")
    bounds = json.loads(thresholds_path.read_text(encoding="utf-8")) if thresholds_path.exists() else {}
    return result, gate(result.metrics(), bounds)
