"""Checks on what a claim states: its numbers, names, posts, polarity and counts."""

from __future__ import annotations

import re

from ..sentences import (
    _NEGATION,
    _NUM,
    _POST,
    STOPWORDS,
    _initials,
    _stem,
    name_groups,
    numbers,
    posts,
    words,
)
from .names import _with_aliases


def missing_facts(sentence: str, support: str, known: str = "") -> list[str]:
    """Numbers, names and posts of `sentence` that the supporting text does not contain.

    A multi-word name counts as present when one of its words is ("Xi Jinping" vs
    "President Xi"); `known` is text the sentence may also draw names from, such as the
    cited articles' outlet and author ("according to The Spectator").
    """
    have = set(words(support)) | numbers(support) | _initials(support)  # "CSTO" for "Collective Security Treaty …"
    # A hyphenated word's parts: the capitalised part of "Hizb ut-Tahrir" is a name of its own.
    have |= {part for w in have if "-" in w for part in w.split("-") if part}
    stems = {_stem(w) for w in have}
    extra = set(words(known))

    def present(w: str) -> bool:
        return w in have or w in extra or (not w.isdigit() and len(w) > 3 and _stem(w) in stems)

    missing = {n for n in numbers(sentence) if n not in have}
    missing |= {p for p in posts(sentence) if not present(p)}
    for group in name_groups(sentence):
        if not any(present(w) for w in group):
            missing |= group
    return sorted(missing)


def unnamed(question: str, text: str) -> list[set[str]]:
    """Names of the question (each a set of words, with the states' leaders and capitals as
    aliases) of which `text` has no word. A question's first word ("Does", "Why") is no name."""
    have = {_stem(w) for w in words(text)}
    groups = [g - STOPWORDS for g in name_groups(question)]
    return [g for g in groups if g and not {_stem(w) for w in _with_aliases(g)} & have]


def negation_mismatch(sentence: str, support: str) -> bool:
    """A yes/no answer whose polarity its support contradicts ("Yes, China is part of it"
    vs "China is not a member"): a false premise the model went along with. Limited to
    explicit yes/no answers: elsewhere a "no" somewhere in a long quote says nothing."""
    m = re.match(r"\s*(yes|no)\b", sentence, re.IGNORECASE)
    if not m:
        return False
    return (m.group(1).lower() == "yes") == bool(_NEGATION.search(support))


def unbound_facts(sentence: str, spans: list[str], known: str = "") -> list[str]:
    """Numbers and posts the claim ties to a name that no cited sentence states with it.

    "Armenia contributed 2,500 troops", citing "Putin sent 2,500 troops" and "the CSTO rulers
    of Armenia … are impressed", has every name and number somewhere in its support, but
    never together. The name checked is the one that precedes the number in its clause
    (its subject, as in "X sent N"); an outlet or author named as the source is not one.
    """
    if len(spans) < 2:
        return []  # one cited sentence holds every fact together already
    skip = set(words(known))
    unbound = []
    facts = [(m.start(), m.group().replace(",", "").rstrip("."), numbers) for m in _NUM.finditer(sentence)]
    # A post is tied to its holder the same way ("Wang Yi is the President …", citing a
    # sentence about Wang Yi and one about President Xi).
    facts += [(m.start(), m.group(1).lower(), lambda t: set(words(t))) for m in _POST.finditer(sentence)]
    for start, n, found_in in facts:
        clause = re.split(r"[,;:()]", sentence[:start])[-1]
        groups = [g for g in name_groups(clause) if not g <= skip]
        if not groups:
            continue
        subject = _with_aliases(groups[-1])
        if not any(n in found_in(t) and subject & set(words(t)) for t in spans):
            unbound.append(f"{n} ({' '.join(sorted(subject))})")
    return unbound


# "19 of Kazakhstan's 31 cities", "15 of the 31": a count out of a total.
_SHARE = re.compile(r"(\d[\d,]*)\s+(?:out\s+)?of\s+(?:[\w’'-]+\s+){0,2}?(\d[\d,]*)")


def unpaired_shares(sentence: str, support: str) -> list[str]:
    """Counts out of a total ("A of B") that the support never states as a pair.

    "15 of the 31 cities experienced violence" has both numbers in "There was violence in 19
    of Kazakhstan's 31 cities; 15 of these cities were close to foreign borders", but 15 is
    the border cities' count: the sentence pairs numbers its source keeps apart.
    """
    unpaired, flat = [], support.replace(",", "")
    for m in _SHARE.finditer(sentence):
        a, b = (re.escape(x.replace(",", "")) for x in m.groups())
        if not re.search(rf"(?<![\d.]){a}(?:\W+[\w’'-]+){{0,5}}?\W+{b}(?![\d])", flat):
            unpaired.append(f"{m.group(1)} of {m.group(2)}")
    return unpaired
