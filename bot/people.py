"""Who is who: the people the articles introduce with a role, and the sentence that does it.

The briefing's "Key people" section names each person with their role ("Wang Wenbin, spokesman
for the Chinese Foreign Ministry, said …"). The plan's `entities` cover the actors a corpus
author lists; the people quoted for their views (researchers, officials, a mayor) are found
here from the articles' own grammar, so another corpus needs no list. Written here because
neither llama-index nor the sentence splitter extracts named entities and their roles, and no
tagger or NER model ships on these machines.

A role is stated by
- an apposition closed by a comma: "Niva Yau, senior researcher at the OSCE Academy …, said";
  "Massimov, who speaks fluent Mandarin Chinese, was viewed …";
- one before the name: "His predecessor, Nursultan Nazarbayev, had held the post …", or a
  relation: "Nazarbayev’s daughter, Dariga, already a major political figure, …";
- a copula: "Hanne Liddell is a retired dam engineer";
- a post as a title: "Kazakh President Kassym-Jomart Tokayev", or a role noun before the name:
  "the former president Nazarbayev" (weaker: they give the post only).
A "sentence" whose lower-case words are all function words names people without saying anything
about them (a photo caption: "Chinese President Xi Jinping and then Kazakh President Nursultan
Nazarbayev in 2013.") and introduces no one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher

from . import lexicon
from .corpus import Article
from .sentences import POST_WORDS, STOPWORDS, ends_sentence, sentence_spans, words

_CAP = r"[A-Z][\w’'-]*"
_COURTESY = r"Dr|Mr|Mrs|Ms|Prof"
# A personal name: two to four capitalised words, optionally after a courtesy title.
_PERSON = rf"(?:(?:{_COURTESY})\.?\s+)?(?P<name>{_CAP}(?:\s+{_CAP}){{1,3}})"
# A word put before a name as a title: "Ms. Yau", "President Tokayev", "Presidents Putin and …".
_TITLE_WORD = re.compile(rf"(?:{_COURTESY}|{POST_WORDS}|leader)s?", re.IGNORECASE)
_DET = r"(?:a|an|the|then|who|whose|one|his|her|its|their|of)"
# The apposition's first words: a determiner or relative pronoun, a post, or a lower-case noun
# phrase tied to a place or body ("senior researcher at", "spokesman for", "director of").
_ROLE_START = rf"(?:{_DET}\b|(?:[A-Za-z][\w-]*\s+){{0,3}}(?i:{POST_WORDS})\b|(?:[a-z][\w-]*\s+){{1,4}}(?:of|for|at|in)\b)"
# Words of a clause, not of a noun phrase: "Apart from Putin, the other clear winner … is …".
_FINITE = re.compile(r"\b(?:is|are|was|were|has|have|had|will|would|can|could|said|says)\b")
_AFTER = re.compile(rf"{_PERSON}(?:\s*\([^)]*\))?,\s+(?P<role>{_ROLE_START}[^,;:()“”\"]{{0,160}}?),")
# "…,” said Raffaello Pantucci, senior researcher at the S. Rajaratnam School …": news style
# closes the apposition with the sentence.
_SAID = re.compile(rf"\b(?:said|says|according to)\s+{_PERSON},\s+(?P<role>{_ROLE_START}[^,;:()“”\"]{{0,120}}?)\.?$")
_BEFORE = re.compile(rf"\b(?P<role>(?:[Tt]he|[Hh]is|[Hh]er|[Ii]ts|[Tt]heir|[Aa]n?)\s+[^,;:()“”\"]{{1,60}}?),\s+{_PERSON},")
# "Nazarbayev’s daughter, Dariga, already a major political figure, …": a relation before the name.
_POSSESSIVE = re.compile(rf"\b(?P<role>{_CAP}[’']s\s+[a-z][\w-]*(?:\s+[a-z][\w-]*){{0,2}}),\s+(?P<name>{_CAP}(?:\s+{_CAP}){{0,3}}),")
_COPULA = re.compile(rf"{_PERSON}\s+(?:is|was|has been|had been)\s+(?P<role>(?:a|an|the)\s+[^,;:.]{{2,80}})")
_TITLE = re.compile(rf"(?i:\b(?P<role>(?:{POST_WORDS})s?|leader))\s+{_PERSON}")
# "the former president Nazarbayev", "The predecessor Nazarbayev": a role noun before a surname.
_THE_ROLE = re.compile(rf"\b(?:[Tt]he|[Hh]is|[Hh]er|[Ii]ts|[Tt]heir)\s+(?:[a-z][\w-]*\s+){{0,2}}(?P<role>[a-z][\w-]{{3,}})\s+(?P<name>{_CAP}(?:\s+{_CAP}){{0,2}})")


@dataclass(frozen=True)
class Introduction:
    name: str  # as the sentence writes it ("Wang Wenbin")
    role: str  # the words that state the role
    article_id: str
    start: int
    end: int
    strong: bool  # an apposition or a copula, not just a title


def says_something(text: str) -> bool:
    """Does `text` have a lower-case content word (a verb, a noun it says something with)?"""
    return any(w not in STOPWORDS for w in re.findall(r"(?<![\w’'-])[a-z][\w’'-]+", text))


def _is_role(role: str) -> bool:
    """Has a lower-case noun or post: "the mayor of Brannock", not "the Quayside and Ferry Lane"."""
    return bool(re.search(rf"(?i)\b(?:{POST_WORDS})\b", role)) or \
        any(w not in STOPWORDS for w in re.findall(r"(?<![\w’'-])[a-z][\w’'-]{2,}", role))


def _is_person(name: str) -> bool:
    """Not a place, a state or an organisation's run of capitalised words."""
    low = name.lower()
    places = lexicon.current().not_speakers
    return not any(w in places for w in low.split()) and not any(w.isupper() and len(w) > 1 for w in name.split())


_POST_IN_NAME = re.compile(rf"^.*\b(?i:{POST_WORDS}|leader)s?\s+")


def introductions(text: str, loose: bool = False) -> list[tuple[str, str, bool]]:
    """(name, role, strong) for each person `text` introduces with a role; `loose`: also a role
    noun before a name ("the former president Nazarbayev"), which holds for a name one looks
    for but finds adjectives as often ("the last Russian troops"), so it discovers no one."""
    if not says_something(text):
        return []
    found = []
    forms = ((_AFTER, True), (_SAID, True), (_BEFORE, True), (_POSSESSIVE, True), (_COPULA, True), (_TITLE, False)) + \
        (((_THE_ROLE, False),) if loose else ())
    for rx, strong in forms:
        for m in rx.finditer(text):
            if rx is _THE_ROLE and m["role"] in STOPWORDS:
                continue
            # "Kazakh President Kassym-Jomart Tokayev": the title is a role, not part of the name
            name, role = _POST_IN_NAME.sub("", m["name"].strip()), m["role"].strip()
            # one word may be the name one looks for ("Dariga"), but discovers too much ("Massimov,
            # who speaks fluent Mandarin Chinese, …" states no post) unless a relation states it
            if len(name.split()) < 2 and strong and not (loose and rx is _POSSESSIVE):
                continue
            if strong and (not _is_role(role) or rx is not _COPULA and _FINITE.search(role)):
                continue
            if _is_person(name):
                found.append((name, role, strong))
    return found


def introduces(text: str, names: list[str]) -> bool:
    """Does `text` state the role of one of `names` (an apposition, a copula or a title)?
    "Wang Yi" introduced introduces neither Wang Wenbin nor Shen Yi (see same_person)."""
    return any(same_person(name, n) for name, _, _ in introductions(text, loose=True) for n in names)


def key(name: str) -> str:
    """The word a person is referred to by after their introduction: the last one, as the
    verifier folds spellings ("Tokaev" and "Tokayev" are one person)."""
    return words(name)[-1]


def bare_name(name: str) -> str:
    """The name without the titles before it: "President Tokayev" -> "Tokayev", "Ms. Yau" -> "Yau"."""
    parts = name.split()
    while len(parts) > 1 and _TITLE_WORD.fullmatch(parts[0].rstrip(".")):
        parts = parts[1:]
    return " ".join(parts)


# "Who is Niva Yau?", "Who's Yau?", "Who was Karim Massimov, and why …?": who a person named in
# full or by one name is. "Who was Kazakhstan's president …?" asks for a person, not about one.
_WHO_IS = re.compile(rf"^\s*[Ww]ho(?:\s+is|\s+was|[’']s)\s+(?P<name>{_CAP}(?:\s+{_CAP}){{0,3}})\s*(?:[?,]|\s+and\b)")


def asked_who(question: str) -> str | None:
    """The person a question asks who they are ("Who is President Tokayev?" -> "Tokayev"), or None."""
    m = _WHO_IS.match(question)
    return bare_name(m.group("name")) if m else None


SPELLING = 0.8  # "Kasym-Jomart" / "Kassym-Jomart" 0.96; "Wang" / "Shen" 0.0


def same_person(a: str, b: str) -> bool:
    """Are two full names one person's? The same last word (spellings folded as the verifier
    folds them) and the same first names, or one spelt differently ("Kasym-Jomart Tokaev",
    "Kassym-Jomart Tokayev"). The last word alone is not enough: a Chinese name puts the
    family name first, so "Wang Yi" and "Shen Yi" share only their given name."""
    wa, wb = words(a), words(b)
    if not wa or not wb or wa[-1] != wb[-1]:
        return False
    fa, fb = " ".join(wa[:-1]), " ".join(wb[:-1])
    return not fa or not fb or SequenceMatcher(None, fa, fb).ratio() >= SPELLING


def _mentions(intro: Introduction, tokens: list[list[str]]) -> int:
    """How often the articles (`tokens`: each article's words) refer to the person: their last
    name alone or after a title, or after their own first names; not as part of another name
    ("Union" in "Soviet Union")."""
    own = {w.lower() for w in intro.name.split()[:-1]}
    target = key(intro.name)
    n = 0
    for toks in tokens:
        for i, t in enumerate(toks):
            if words(t)[:1] == [target]:
                before = toks[i - 1] if i else ""
                n += not before[:1].isupper() or before.lower() in own or bool(_TITLE_WORD.fullmatch(before))
    return n


def _all_introductions(articles: dict[str, Article], usable=lambda text: True) -> Iterator[Introduction]:
    """Every introduction in every whole sentence of the articles that `usable` accepts, in order."""
    for a in articles.values():
        for s, e in sentence_spans(a.text):
            text = a.text[s:e]
            if ends_sentence(text) and usable(text):
                for name, role, strong in introductions(text):
                    yield Introduction(name, role, a.id, s, e, strong)


def introduced_names(articles: dict[str, Article]) -> set[str]:
    """Every name the articles introduce with a role, once each, as written (the people check
    matches a question's name against each; spellings of one person are all kept)."""
    return {i.name for i in _all_introductions(articles)}


def who_is_who(articles: dict[str, Article], usable=lambda text: True) -> list[Introduction]:
    """Each person introduced with a role somewhere in the articles, once, by their best sentence
    (an apposition or copula before a title; then the earliest), most mentioned first; only
    sentences `usable` accepts (the briefing: none opening with "He" or "This")."""
    best: list[Introduction] = []  # one per person (same_person), in order of first introduction
    for i in _all_introductions(articles, usable):
        k = next((n for n, b in enumerate(best) if same_person(b.name, i.name)), None)
        if k is None:
            best.append(i)
        elif i.strong and not best[k].strong:
            best[k] = i
    tokens = [re.findall(r"[\w’'-]+", a.text) for a in articles.values()]
    count = [_mentions(i, tokens) for i in best]
    return [best[n] for n in sorted(range(len(best)), key=lambda n: -count[n])]
