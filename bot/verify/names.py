"""Which names stand for which: states, their capitals and leaders, countries and demonyms,
read from the lexicon in force (bot/lexicon.py). The verifier ties numbers, posts and words to
their owners through these."""

from __future__ import annotations

from .. import lexicon
from ..sentences import _initials, _norm, _stem, words


def _with_aliases(names: set[str]) -> set[str]:
    """A state's name with its capitals and leaders ("Russia sent 2,500 troops" for "Putin sent
    2,500 troops"); used only to tie a number to its subject."""
    stands_for = lexicon.current().stands_for
    return names | {alias for w in names for alias in stands_for.get(w, ())}


def _seat_of(names: set[str]) -> set[str]:
    """The states whose capitals (seats of government) are among `names`: "Beijing" in a
    question is met by "China" in an article, as "China" is by "Beijing" (`_with_aliases`).
    Capitals only: a leader stands for the state in what it does, but "China said" is not
    what Xi said."""
    lx = lexicon.current()
    return {state for state, others in lx.stands_for.items() for w in names if w in others and w in lx.states}


def _names_in(group: set[str], text: str) -> bool:
    return bool(_with_aliases(group) & set(words(text))) or bool(group & _initials(text))


def _stands_for(name: str) -> set[str]:
    """The name with the states, leaders and capitals that stand for it, both ways.
    `_with_aliases` goes one way only (state to leader), as a number's subject must."""
    out = {name}
    for state, others in lexicon.current().stands_for.items():
        if name == state or name in others:
            out |= {state, *others}
    return out


def one_name(a: str, b: str) -> bool:
    """Are two lower-cased words forms of one name, one beginning the other and both longer than
    three letters ("kazakh" and "kazakhstan", "chinese" and "china")? Read with the lexicon's
    countries, this ties a people's name to its state where the lexicon lists no demonym."""
    return len(a) > 3 and len(b) > 3 and (a.startswith(b) or b.startswith(a))


def states() -> frozenset[str]:
    """Countries and the capitals that stand for them."""
    return lexicon.current().states


def state_stems() -> set[str]:
    return {_stem(w) for w in lexicon.current().states}


def countries() -> frozenset[str]:
    return lexicon.current().countries


def _country(word: str) -> str | None:
    lex = lexicon.current()
    w = _norm(word)
    w = lex.demonyms.get(w, w)
    return w if w in lex.countries else None
