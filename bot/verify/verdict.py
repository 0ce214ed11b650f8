"""A verdict is the question restated ("China is a member of the CSTO" for "Is China a member of
the CSTO?"): it brings no words of its own, so the cited sentence itself must say it."""

from __future__ import annotations

from ..sentences import _LEAD, _NEGATION, _ROLE_VERB, STOPWORDS, _stem, words

VERDICT_FLOOR = 0.70  # cosine a restated question needs with a cited sentence (see `echoes`)


def echoes(sentence: str, question: str) -> bool:
    """Does the sentence only restate the question, perhaps negated ("China is a member of
    the CSTO" for "Is China a member of the CSTO?")? Such a verdict brings no words of its
    own from the sources, so word overlap cannot tell whether a source says it. A number is
    always content, however short: "Seven police officers died." answers "How many police
    officers died?" with a figure of its own, which the number checks verify."""
    asked = {_stem(w) for w in words(question)}
    content = {_stem(w) for w in words(sentence)
               if w not in STOPWORDS and not _NEGATION.fullmatch(w) and (len(w) > 2 or w[:1].isdigit())}
    return bool(content) and content <= asked


def is_verdict(sentence: str, question: str) -> bool:
    """`echoes` for an answer sentence as written, its lead ("According to the excerpts,") dropped."""
    return bool(question) and echoes(_ROLE_VERB.sub("is", _LEAD.sub("", sentence)), question)
