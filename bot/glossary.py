"""Glossary terms (corpus/glossary.yaml): which term a question asks about, and the article
sentence that best explains a term, quoted as is.

Used by the briefing (its glossary and the people it introduces) and by answers: a question
such as "What is the CSTO?" gets, after the model's answer, the article's own explanation, and
"How does the CSTO differ from the SCO?" gets one for each.
"""

from __future__ import annotations

import re

from .corpus import Article
from .embeddings import embed_cached
from .guard import is_instruction
from .sentences import ends_sentence, overlap, sentence_spans

_COMPARISON = re.compile(r"\b(?:differ\w*|compar\w*|versus|vs\.?|distinguish\w*)(?!\w)", re.I)
# An answer sentence holding this share of a quote's content words already says what it says.
RESTATED = 0.8

# "What is/are/was …", "What's …", "What does … mean", "Define …", "Explain …", "Who are …"
_DEFINITION = re.compile(r"^\s*(?:what(?:'s|’s|\s+(?:is|are|was|were|does|do))|define|explain|who\s+(?:is|are|was|were))\b", re.I)


def _names(term: dict) -> list[str]:
    return term.get("match", [term["term"]])


def _named(question: str, terms: list[dict]) -> list[dict]:
    low = question.lower()
    return [t for t in terms if any(re.search(rf"(?<!\w){re.escape(m.lower())}(?!\w)", low) for m in _names(t))]


def asked_term(question: str, terms: list[dict]) -> dict | None:
    """The term a definition question ("What is the CSTO?") asks about, if it is in the glossary."""
    if not _DEFINITION.search(question):
        return None
    hits = _named(question, terms)
    return hits[0] if len(hits) == 1 else None  # a question naming several terms is not a definition


def compared_terms(question: str, terms: list[dict]) -> list[dict]:
    """The two glossary terms a comparison question ("How does the CSTO differ from the SCO?")
    sets side by side, else []. The model tends to give both the words of one ("The CSTO is
    a regional body founded by China …", the SCO's), so each is explained from the articles."""
    if not _COMPARISON.search(question):
        return []
    hits = _named(question, terms)
    return hits if len(hits) == 2 else []


def best_quote(term: dict, articles: dict[str, Article], exclude=frozenset()) -> tuple[str, int, int] | None:
    """(article id, start, end) of the sentence that explains `term` best: one containing a
    `match` phrase (the term in full preferred), closest in meaning to the term's `query`."""
    candidates = [(a.id, s, e) for a in articles.values() for s, e in sentence_spans(a.text)
                  if any(m.lower() in a.text[s:e].lower() for m in _names(term))
                  and ends_sentence(a.text[s:e]) and not is_instruction(a.text[s:e])
                  and (a.id, s, e) not in exclude]
    full = [c for c in candidates if term["term"].lower() in articles[c[0]].text[c[1]:c[2]].lower()]
    candidates = full or candidates
    if not candidates:
        return None
    q = embed_cached(term["query"])
    return max(candidates, key=lambda c: float(embed_cached(articles[c[0]].text[c[1]:c[2]]) @ q))


def explanation(term: dict, articles: dict[str, Article], said: list[str]) -> tuple[str, int, int] | None:
    """The sentence to quote after a definition answer: the best one (`best_quote`) that no
    sentence of `said` (the answer) already restates.

    Asked "What is the SCO?", the model wrote out the best quote itself ("The SCO is a
    regional body founded by China …"), so the next best, the one that spells out the
    Shanghai Cooperation Organisation, is quoted; a mere paraphrase ("Nur Otan is a political
    party in Kazakhstan") still gets the article's own words ("the ruling Nur Otan party").
    """
    used: set[tuple[str, int, int]] = set()
    while (span := best_quote(term, articles, exclude=used)) is not None:
        text = articles[span[0]].text[span[1]:span[2]]
        if not any(overlap(text, s) >= RESTATED for s in said):
            return span
        used.add(span)
    return None
