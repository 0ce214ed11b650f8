"""A verdict is the question restated ("China is a member of the CSTO" for "Is China a member of
the CSTO?"): it brings no words of its own, so the cited sentence itself must say it."""

from __future__ import annotations

import re

from ..sentences import _LEAD, _NEGATION, _ROLE_VERB, STOPWORDS, _stem, words

VERDICT_FLOOR = 0.70  # cosine a restated question needs with a cited sentence (see `echoes`)

# A clause that asks for something ("Who became …", "In which year …", "…, how many …"), as
# opposed to one asking whether ("Is China a member …?").
_ASKS_FOR = re.compile(r"(?:^|[,.;:?!]\s*)(?:(?:in|at|on|from|for|by|to|with|of|during|under|after|before|since)\s+)?"
                       r"(?:who|whom|whose|what|which|when|where|why|how)\b", re.IGNORECASE)
_CHOICE = re.compile(r"\bor\b", re.IGNORECASE)


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


def open_question(question: str) -> bool:
    """Does the question ask for something a restatement cannot give: who, what, when, how many …?
    "Is China a member …?" is answered by restating it ("China is not a member …"), and so is a
    named choice ("Who has more sway, Russia or China?": "Russia has more sway …"). "Who became
    chairman after Dariga was sacked?" is not answered by "Dariga was sacked as chairman": the
    sentence says only what the question already takes as given."""
    return bool(_ASKS_FOR.search(question.strip())) and not _CHOICE.search(question)


def is_verdict(sentence: str, question: str) -> bool:
    """`echoes` for an answer sentence as written, its lead ("According to the excerpts,") dropped."""
    return bool(question) and echoes(_ROLE_VERB.sub("is", _LEAD.sub("", sentence)), question)
