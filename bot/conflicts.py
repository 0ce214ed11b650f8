"""Find where the articles disagree, so the answer quotes every side instead of picking one.

Two kinds of candidates, both from `corpus/contested.yaml`: differing figures for the
same quantity across articles (a number or "hundreds" next to "killed"), and sentences from
different articles that take opposite sides of a contested question. A topic is considered
when the question names it (a word from `ask`) and is about it (cosine of question and topic
name at least `floor`). Its claim sentences join the passages, so the model sees each side,
and `statement` quotes every side the answer left uncited, after the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from .corpus import Article
from .embeddings import embed_cached
from .sentences import antecedent, ends_sentence, quote, sentence_spans
from .verify.owners import SPEECH_VERBS

TOPICS = Path(__file__).resolve().parents[1] / "corpus" / "contested.yaml"  # the project corpus's (Settings.contested_path)
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


@lru_cache(maxsize=4)
def topics(path: Path = TOPICS) -> list[dict]:
    """The contested topics of a corpus; none when it has no file."""
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or []) if path.exists() else []


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


def _pick(claims: list[Claim], rank=lambda c: len(c.quote)) -> list[Claim]:
    """At most MAX_PER_SIDE sentences a side (keeps the prompt short): other articles first,
    then by `rank` (shorter first, or closer to the question)."""
    kept = []
    for side in dict.fromkeys(c.side for c in claims):
        seen, first, rest = set(), [], []
        for c in sorted((c for c in claims if c.side == side), key=rank):
            (rest if c.article_id in seen else first).append(c)
            seen.add(c.article_id)
        kept += (first + rest)[:MAX_PER_SIDE]
    return kept


def find_conflicts(question: str, articles: dict[str, Article], floor: float = 0.0, path: Path = TOPICS) -> list[Conflict]:
    """Topics the question is about on which at least two articles take different sides."""
    touched = [t for t in topics(path) if _touches(question, t)]
    if not touched:
        return []
    q = embed_cached(question)  # the verifier needs it again (cite.Citer)
    touched = [t for t in touched if float(embed_cached(t["topic"]) @ q) >= floor]
    # Of each side's sentences, those closest to the question are quoted.
    closest = lambda c: -float(embed_cached(c.quote) @ q)  # noqa: E731
    return [c for t in touched for c in _conflict(t, articles, closest)]


def all_conflicts(articles: dict[str, Article], path: Path = TOPICS) -> list[Conflict]:
    """Every contested topic on which the articles do disagree (for the briefing)."""
    return [c for t in topics(path) for c in _conflict(t, articles)]


def _conflict(topic: dict, articles: dict[str, Article], rank=lambda c: len(c.quote)) -> list[Conflict]:
    """[the topic's Conflict] when at least two articles take different sides, else []."""
    claims = []
    for art in articles.values():
        for s, e in sentence_spans(art.text):
            text = art.text[s:e]
            # A heading or a fragment asserts nothing, so it takes no side (a stray opening
            # quote mark after the full stop, a capture artefact, does not make a fragment).
            if not ends_sentence(text.rstrip(" “‘\"")):
                continue
            side = _count_side(text, topic["count"]) if "count" in topic else _phrase_side(text, topic["sides"])
            if side:
                claims.append(Claim(art.id, art.outlet, side, s, e, text))
    if len({c.side for c in claims}) >= 2 and len({c.article_id for c in claims}) >= 2:
        return [Conflict(topic["topic"], _pick(claims, rank))]
    return []


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


def quote_sides(conflict: Conflict, cite_span, sides: bool = True, articles: dict[str, Article] | None = None) -> tuple[str, list[int]]:
    """"Outlet (side): “quote” [n] “quote” [m]; …" for the conflict's claims, numbered by
    `cite_span(article_id, start, end)`; `sides`: name each claim's side (never for figures:
    the quote gives the figure).

    One side's claims from one article are quoted together, in the article's order, and with
    `articles` a first sentence pointing back ("This attitude also bolsters …") is preceded by
    the article sentence it points to, so the quotes read as the article does."""
    figures = all(re.fullmatch(_FIGURE, c.side) for c in conflict.claims)
    groups: dict[tuple[str, str], list[Claim]] = {}
    for c in conflict.claims:
        groups.setdefault((c.side, c.article_id), []).append(c)
    parts, numbers = [], []
    for claims in groups.values():
        claims.sort(key=lambda c: c.start)
        first, said = claims[0], []
        if articles and (before := antecedent(articles[first.article_id].text, first.start)):
            numbers.append(cite_span(first.article_id, *before))
            said.append(quote(articles[first.article_id].text[before[0]:before[1]], numbers[-1]))
        for c in claims:
            numbers.append(cite_span(c.article_id, c.start, c.end))
            said.append(quote(c.quote, numbers[-1]))
        label = first.outlet if figures or not sides else f"{first.outlet} ({first.side})"
        parts.append(f"{label}: {' '.join(said)}")
    return "; ".join(parts), numbers


STATEMENT_LEAD = "The sources differ"
CITED_ABOVE = "cited above"


def statement(conflict: Conflict, cite_span,
              cited: set[tuple[str, int]] | dict[tuple[str, int], str]) -> tuple[str, list[int]] | None:
    """"The sources differ: Outlet: “quote” [n]; …", to follow an answer.

    Written by the program, not the model: asked to give every side, the 1.5B model usually
    gives one. None when the answer already gives every side. `cited`: the (article id, start)
    of each sentence the answer's verified sentences cite or the program quoted, or a dict from
    those to the words said with it; a figure's claim counts as given only when those words
    hold the figure (a sentence citing the WSJ's "… health officials said 160 people have died"
    for its fuel prices leaves the 160 unsaid). Only quotes and outlets, so every word of it is
    checkable; the topic and the sides' names are shown in the UI's note.

    A side the answer already gives is named by its outlet and marker ("The Wall Street
    Journal (cited above) [1]"), not quoted: quoting it again repeated the source sentence
    right under the answer sentence that cites it. Naming it keeps every side in the list,
    so the reader still sees what differs from what.
    """
    said = cited if isinstance(cited, dict) else dict.fromkeys(cited)

    def given(c: Claim) -> bool:
        key = (c.article_id, c.start)
        if key not in said:
            return False
        words = said[key]
        return words is None or not re.fullmatch(_FIGURE, c.side) or bool(re.search(rf"\b{re.escape(c.side)}\b", words, re.I))

    sides = dict.fromkeys(c.side for c in conflict.claims)
    done = {side for side in sides if any(given(c) for c in conflict.claims if c.side == side)}
    if done == set(sides):
        return None
    parts, numbers, used = [], [], set()
    for c in conflict.claims:
        if c.side in done and not given(c):
            continue  # a side given needs no second sentence of its own
        if (c.side, c.outlet) in used:
            continue  # one sentence a side and outlet
        used.add((c.side, c.outlet))
        n = cite_span(c.article_id, c.start, c.end)
        if n in numbers:
            continue  # one sentence can state two sides' words; it is listed once
        numbers.append(n)
        parts.append(f"{c.outlet} ({CITED_ABOVE}) [{n}]" if c.side in done else f"{c.outlet}: {quote(c.quote, n)}")
    return f"{STATEMENT_LEAD}: {'; '.join(parts)}", numbers


# Words that make a question about the disagreement itself ("Do the sources agree on the toll?").
_NAMES_DISAGREEMENT = re.compile(
    r"\b(?:disagree\w*|agree\w*|differ\w*|dispute\w*|contested|contradict\w*|conflicting|consensus|debated?|"
    r"divided|(?:different|competing|rival|other) (?:views?|accounts?|explanations?|figures?|estimates?|versions?|claims?))\b",
    re.IGNORECASE)
# A question after who holds one view or gives one figure ("Who blamed foreign militants …?",
# "Which outlet reported 160 deaths?", "What did Tokayev blame for the unrest?"), not after the
# contested matter itself ("Who was behind the violence?", "Who is to blame?", "How many died?").
_STANCE_VERBS = (rf"(?:{SPEECH_VERBS}|say|tell|(?<!to )blame|claim|reports?|reported|argue|accuse|attribute[sd]?|estimated?|"
                 r"put|pinned|explain|describe|call|view|viewed|see|saw|portray(?:ed)?|frame[sd]?|characteri[sz]ed?|"
                 r"interpret(?:ed)?|think|thought|believe|suggest|note|warn|write|insist|deny)")
_ASKS_HOLDER = re.compile(
    rf"^\s*(?:according to whom\b|(?:who|whom|which\s+(?:[\w’'-]+\s+){{0,2}}?[\w’'-]+)\b.*?\b{_STANCE_VERBS}\b"
    rf"|(?:what|how|why)\s+(?:did|does|do|has|have|had)\s+.+?\s+{_STANCE_VERBS}\b)",
    re.IGNORECASE)
# ... unless the holders asked about are the sources at large ("What do the sources say …?").
_ALL_HOLDERS = re.compile(r"\b(?:do|does|did|have|has|had)\s+(?:the\s+)?(?:sources|articles|outlets|reports|experts|"
                          r"analysts|observers|commentators|media|they)\b", re.IGNORECASE)


def asks_disagreement(question: str) -> bool:
    """Is `question` about the disagreement itself, so that the sides' quotes may stand as its
    answer? It is when it names the disagreement ("Do the sources agree …?") or asks the
    contested matter ("How many people were killed?", "Was the violence home-grown, or …?"),
    not when it asks who holds one side ("Who blamed foreign militants from Afghanistan and the
    Mideast?"): that is answered by the holder, and the other sides only follow the answer."""
    if _NAMES_DISAGREEMENT.search(question) or _ALL_HOLDERS.search(question):
        return True
    return not _ASKS_HOLDER.search(question)
