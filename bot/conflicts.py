"""Find where the articles disagree, so the answer states every side instead of picking one.

Two kinds of candidates, both from `bot/assets/contested.yaml`: differing figures for the
same quantity across articles (a number or "hundreds" next to "killed"), and sentences from
different articles that take opposite sides of a contested question. A topic is considered
when the question touches it; its claim sentences are then added to the passages (so each
side can be cited) and listed in the prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from .cite import sentence_spans
from .corpus import Article

TOPICS = Path(__file__).parent / "assets" / "contested.yaml"
MAX_PER_SIDE = 2
_FIGURE = r"(?:\d[\d,]*|hundreds|dozens|thousands|scores)"


@dataclass(frozen=True)
class Claim:
    article_id: str
    outlet: str
    side: str  # the side's name, or the figure for a count
    start: int
    end: int
    quote: str


@dataclass
class Conflict:
    topic: str
    claims: list[Claim] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"topic": self.topic, "claims": [c.__dict__ for c in self.claims]}


@lru_cache(maxsize=1)
def topics() -> list[dict]:
    return yaml.safe_load(TOPICS.read_text(encoding="utf-8"))


def _touches(question: str, topic: dict) -> bool:
    q = " ".join(re.findall(r"[\w’'-]+", question.lower()))
    return any(re.search(rf"\b{re.escape(word.lower())}", q) for word in topic["ask"])


def _count_side(sentence: str, words: list[str]) -> str | None:
    near = "|".join(map(re.escape, words))
    # The figure comes first ("160 people have died", "hundreds killed"); a figure after the
    # verb belongs to another quantity ("died and hundreds more were wounded").
    m = re.search(rf"\b({_FIGURE})\b(?:\s+\S+){{0,3}}?\s+(?:{near})\b", sentence, re.I)
    return m.group(1).lower() if m else None


def _phrase_side(sentence: str, sides: dict[str, list[str]]) -> str | None:
    low = sentence.lower()
    for side, phrases in sides.items():
        if any(p.lower() in low for p in phrases):
            return side
    return None


def _pick(claims: list[Claim]) -> list[Claim]:
    """At most MAX_PER_SIDE sentences a side (keeps the prompt short): other articles first, then shorter."""
    kept = []
    for side in dict.fromkeys(c.side for c in claims):
        seen, first, rest = set(), [], []
        for c in sorted((c for c in claims if c.side == side), key=lambda c: len(c.quote)):
            (rest if c.article_id in seen else first).append(c)
            seen.add(c.article_id)
        kept += (first + rest)[:MAX_PER_SIDE]
    return kept


def find_conflicts(question: str, articles: dict[str, Article]) -> list[Conflict]:
    """Topics the question touches on which at least two articles take different sides."""
    return [c for t in topics() if _touches(question, t) for c in _conflict(t, articles)]


def all_conflicts(articles: dict[str, Article]) -> list[Conflict]:
    """Every contested topic on which the articles do disagree (for the briefing)."""
    return [c for t in topics() for c in _conflict(t, articles)]


def _conflict(topic: dict, articles: dict[str, Article]) -> list[Conflict]:
    """[the topic's Conflict] when at least two articles take different sides, else []."""
    claims = []
    for art in articles.values():
        for s, e in sentence_spans(art.text):
            text = art.text[s:e]
            side = _count_side(text, topic["count"]) if "count" in topic else _phrase_side(text, topic["sides"])
            if side:
                claims.append(Claim(art.id, art.outlet, side, s, e, text))
    if len({c.side for c in claims}) >= 2 and len({c.article_id for c in claims}) >= 2:
        return [Conflict(topic["topic"], _pick(claims))]
    return []


def describe(conflict: Conflict, passages: list) -> str:
    """One prompt line per side: its outlets and the excerpt numbers holding their sentences.
    (Quoting the sentences again made the model copy the list instead of answering.)"""
    lines = []
    for side in dict.fromkeys(c.side for c in conflict.claims):
        refs: dict[str, list[str]] = {}
        for c in (c for c in conflict.claims if c.side == side):
            n = next((i for i, p in enumerate(passages, 1) if p.article_id == c.article_id and p.start <= c.start and c.end <= p.end), None)
            refs.setdefault(c.outlet, [])
            if n and f"[{n}]" not in refs[c.outlet]:
                refs[c.outlet].append(f"[{n}]")
        lines.append(f"- {side}: " + ", ".join(f"{outlet} {''.join(ns)}".strip() for outlet, ns in refs.items()))
    return "\n".join(lines)


def claim_passages(conflicts: list[Conflict], passages: list, articles: dict[str, Article]) -> list:
    """Claim sentences not already inside a retrieved passage, as passages of their own."""
    from .retrieve import Passage

    extra = []
    for c in (c for conflict in conflicts for c in conflict.claims):
        inside = any(p.article_id == c.article_id and p.start <= c.start and c.end <= p.end for p in passages + extra)
        if not inside:
            art = articles[c.article_id]
            extra.append(Passage(f"{c.article_id}@{c.start}", c.article_id, c.quote, c.start, c.end, 0.0, None, art.metadata()))
    return extra
