"""Sentences and words: the splitter, word normalisation, names, numbers and overlap scores.

Shared by the citer, the verifier's checks, the quotes and the briefing; nothing here decides
what supports what.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from . import lexicon

# --- sentences ---------------------------------------------------------------------------

# Lookbehinds run at the split point (after the period), so each includes its period.
_ABBREV = r"(?<!\b[A-Z]\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bU\.S\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)"
_SENT_END = re.compile(_ABBREV + r"""(?<=[.!?])(["”’)\]]*)\s+(?=["“‘(\[]?[A-Z0-9])""")


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence; paragraph breaks always end a sentence."""
    spans = []
    for para in re.finditer(r"[^\n]+", text):
        start = para.start()
        for m in _SENT_END.finditer(para.group()):
            end = para.start() + m.end(1)  # closing quotes belong to the sentence
            spans.append((start, end))
            start = para.start() + m.end()
        spans.append((start, para.end()))
    return [(offset + s, offset + e) for s, e in spans if text[s:e].strip()]


# --- key facts: numbers, dates, names ------------------------------------------------------

_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_NUM = re.compile(r"\d[\d,]*(?:\.\d+)?")
_WORD = re.compile(r"[\w’'-]+", re.UNICODE)
# Capitalised words that are not names (sentence starters, function words, months are kept).
_NOT_NAMES = set("""
a an the this that these those it its he she they his her their there here in on at of for to by with from
as and but or nor so yet if when while after before during since until although though however moreover
also both either neither not no yes one some many most more less all any each every such what which who
whom whose why how where according accordingly meanwhile instead despite because thus therefore then now
i we you our your my mr ms mrs dr president minister prime foreign spokesman professor director head chairman
sources source article articles excerpt excerpts answer yes
""".split())
STOPWORDS = _NOT_NAMES | set("""
is are was were be been being has have had do does did will would can could should may might must shall
about into over under than too very just only own same other again further once said says say told
""".split())

def _norm(word: str) -> str:
    w = word.lower().strip("’'-").removesuffix("’s").removesuffix("'s")
    w = lexicon.current().same_word.get(w, w)  # "Tokaev" / "Tokayev", "Chinese" / "China"
    return _NUMBER_WORDS.get(w, w)


def words(text: str) -> list[str]:
    return [_norm(w) for w in _WORD.findall(text)]


_NAME_RUN = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w’'-]*)*")


def name_groups(sentence: str) -> list[set[str]]:
    """Runs of capitalised words ("Xi Jinping", "Collective Security Treaty Organization"),
    each as a set of normalised words, function words removed."""
    groups = []
    for m in _NAME_RUN.finditer(sentence):
        g = {_norm(w) for w in _WORD.findall(m.group()) if _norm(w) not in _NOT_NAMES and not w.isdigit()}
        if g:
            groups.append(g)
    return groups


def numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUM.findall(text)}


def key_facts(sentence: str) -> set[str]:
    """Numbers written as digits (commas dropped) and name words: what a citation must contain."""
    return numbers(sentence) | set().union(*name_groups(sentence))


# A post stated as a fact ("Wang Yi is the President of China"), not a title before a name
# ("President Xi", which names Xi): titles are no names, so the name check misses them, and
# in a short sentence one wrong word barely moves the overlap score (that one scored 0.83).
POST_WORDS = r"president|minister|secretary|spokes(?:man|woman|person)|chairman|ambassador|professor|director|head"
_POST = re.compile(rf"\b({POST_WORDS})\b(?![ \t]+(?-i:[A-Z]))", re.IGNORECASE)


def posts(sentence: str) -> set[str]:
    return {m.lower() for m in _POST.findall(sentence)}


def _stem(w: str) -> str:
    return w[:6]


def content_stems(text: str) -> set[str]:
    """Stems of the words of `text` that carry content (no stopwords, no words of two letters)."""
    return {_stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 2}


# The words that give a claim to its source ("The Spectator mentions that …", "… quoted by the
# WSJ"): the cited outlet's act of reporting, not part of what it reports.
_ATTRIBUTING = set("mention mentions mentioned report reports reported quote quotes quoted write writes wrote "
                   "note notes noted according".split())


def overlap(sentence: str, support: str, known: str = "", idf: dict[str, float] | None = None) -> float:
    """Share of the sentence's content words (prefix-stemmed) found in the support, each word
    weighted by its rarity in the corpus (`idf`), so "China" and "Kazakhstan" alone carry
    little; words of `known` (the cited outlet and author, as in "The Spectator reported
    ...") are not counted."""
    skip = set(words(known)) | _ATTRIBUTING
    content = {_stem(w) for w in words(sentence) if w not in STOPWORDS and w not in skip and len(w) > 2}
    if not content:
        return 0.0
    have = {_stem(w) for w in words(support)}
    weight = (lambda w: idf.get(w, max(idf.values(), default=1.0))) if idf else (lambda w: 1.0)
    return sum(weight(w) for w in content & have) / sum(weight(w) for w in content)


def idf_table(texts: list[str]) -> dict[str, float]:
    """Inverse document frequency of prefix-stemmed words over `texts` (the corpus sentences)."""
    df: dict[str, int] = {}
    for t in texts:
        for w in {_stem(x) for x in words(t)}:
            df[w] = df.get(w, 0) + 1
    n = len(texts)
    return {w: math.log((n + 1) / (c + 0.5)) for w, c in df.items()}


_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|none|without)\b|n[’']t\b", re.IGNORECASE)


def _initials(text: str) -> set[str]:
    """Acronyms `text` spells out: the initials of its name runs ("Collective Security Treaty
    Organization" → "csto") and the general abbreviations one of whose phrases it has ("chief
    executive" → "ceo", bot/assets/abbreviations.yaml)."""
    found = set()
    for m in _NAME_RUN.finditer(text):
        caps = [w for w in _WORD.findall(m.group()) if w[0].isupper()]
        found.add("".join(w[0] for w in caps).lower())
        if len(caps) > 2 and caps[0].lower() in ("the", "a", "an"):  # "The Wall Street Journal" -> "wsj"
            found.add("".join(w[0] for w in caps[1:]).lower())
    return found | spelled_out(text)


def spelled_out(text: str) -> set[str]:
    """The general abbreviations `text` writes out in full ("the company's chief executive" → "ceo")."""
    flat = " " + " ".join(_WORD.findall(text.lower())) + " "
    return {a for a, phrases in lexicon.current().abbreviations.items() if any(f" {p} " in flat for p in phrases)}


def opening_name(sentence: str) -> set[str]:
    """The name a claim opens with ("Uzbekistan's government …" → {"uzbekistan"}), else an empty set."""
    m = _NAME_RUN.match(_LEAD.sub("", sentence).lstrip())
    groups = name_groups(m.group()) if m else []
    return groups[0] if groups else set()


# Claim normalisation: what a sentence states once its lead and role verbs are set aside.
_PRONOUN_SUBJECT = re.compile(r"^\s*(?:he|she|it|they|his|her|its|their|this|these|those)\b", re.IGNORECASE)
_LEAD = re.compile(r"^\s*according to the (?:excerpts?|sources?|articles?),?\s*", re.IGNORECASE)
# Ways of saying "is" about a post: "Wang Yi holds the position of Chinese foreign minister"
# states what "Wang Yi, the Chinese foreign minister, …" says, but its own words ("holds",
# "position") are nowhere in that sentence, so it scored 0.49 against a floor of 0.60.
_ROLE_VERB = re.compile(
    r"\b(?:holds?|held|occupies|occupied) the (?:position|post|office|role|title) of\b|\b(?:serves?|served|acts?|acted|works?|worked) as\b",
    re.IGNORECASE)


_ENDS_SENTENCE = re.compile(r"[.!?][\"”’)\]]*$")


def ends_sentence(text: str) -> bool:
    """Closing punctuation: a claim. A heading or a fragment cut off by a token limit has none."""
    return bool(_ENDS_SENTENCE.search(text.rstrip()))


def quote_markers(text: str) -> list[int]:
    """The citation numbers of the quotes in `text`, as `quote` writes them (“…” [n])."""
    return [int(n) for n in re.findall(r"” \[(\d+)\]", text)]


def quote(text: str, n: int) -> str:
    """`text` quoted on one line, followed by its citation marker: “…” [n].

    A quote is a whole sentence; text that does not end one (a span cut short) ends in "…",
    so that it never reads as if the source had stopped there. A stray opening quote mark
    after the full stop (“… may not be a bad result. “, as captured) does not count.
    """
    text = " ".join(text.split())
    if not ends_sentence(text.rstrip(" “‘\"")):
        text += "…"
    return f"“{text}” [{n}]"


_CONNECTIVE = re.compile(r"^(?:however|but|and|yet|still|moreover|instead|so),?\s+", re.IGNORECASE)  # "However, this …"
# A pronoun right after the word opening a clause points back as much as one opening the
# sentence: "Although he took over the presidency in March 2019, his power was deeply
# circumscribed." says nothing of whom.
CLAUSE_PRONOUN = re.compile(r"^(?:although|though|when|while|as|after|before|since|because|if|once|until|unless|despite)\s+"
                            r"(?:he|she|they|his|her|their|him|them)\b", re.IGNORECASE)


def points_back(sentence: str) -> bool:
    """Does the sentence open with a word pointing back, after any connective ("However, this …")?"""
    opening = _CONNECTIVE.sub("", sentence[:80].lstrip(" “‘\"'"))
    return bool(_PRONOUN_SUBJECT.match(opening) or CLAUSE_PRONOUN.match(opening) or re.match(r"such\b", opening, re.I))


def antecedent(text: str, start: int) -> tuple[int, int] | None:
    """The article sentence before the one at `start` when that one opens with a word pointing
    back ("He added …", "This was …"): quoted alone it would not say who or what. None when it
    does not, or when what precedes is a heading (no closing punctuation)."""
    return previous_sentence(text, start) if points_back(text[start:start + 80]) else None


def antecedents(text: str, start: int, most: int = 2) -> list[tuple[int, int]]:
    """The article sentences the one at `start` needs to be read, earliest first: its
    `antecedent`, and that one's while it points back too, up to `most`. "His predecessor,
    Nursultan Nazarbayev, …" follows "Although he took over the presidency …", which says whose
    only with the sentence before it ("… is President Tokayev himself.")."""
    chain: list[tuple[int, int]] = []
    at = start
    while len(chain) < most and (before := antecedent(text, at)):
        chain.insert(0, before)
        at = before[0]
    return chain


def _flat(t: str) -> str:
    return " " + " ".join(re.findall(r"\w+", t.lower())) + " "


@lru_cache(maxsize=64)
def _flat_sentences(text: str) -> tuple[tuple[int, int, str], ...]:
    """Each sentence of an article with its words lower-cased, once per article text: every
    citation of every answer asks `fuller_sentence` of the same few articles."""
    return tuple((s, e, _flat(text[s:e])) for s, e in sentence_spans(text))


def fuller_sentence(text: str, start: int, end: int) -> tuple[int, int] | None:
    """A longer sentence of the same article that holds the sentence at start:end word for word
    and goes on: a photo caption or a pull quote repeats part of a sentence whose rest (the
    source of a figure, a comparison) the reader needs. None if none."""
    mine = _flat(text[start:end])
    found = [(s, e) for s, e, flat in _flat_sentences(text) if e - s > end - start and mine.strip() and mine in flat]
    return min(found, key=lambda x: x[1] - x[0]) if found else None


def previous_sentence(text: str, start: int) -> tuple[int, int] | None:
    """The article sentence before the one at `start`; None when what precedes is a heading (no
    closing punctuation) or nothing."""
    before = [(s, e) for s, e in sentence_spans(text) if e <= start]  # the spans citations use
    if before and ends_sentence(text[before[-1][0]:before[-1][1]].rstrip(" “‘\"'")):
        return before[-1]
    return None
