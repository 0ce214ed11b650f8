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
from .people import introduces, says_something
from .sentences import CLAUSE_PRONOUN, antecedent, ends_sentence, overlap, sentence_spans

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


# A sentence opening with "This", "He", "They", "It sent …" points outside itself: quoted alone,
# as an explanation or a person's introduction, the reader cannot tell what it is about ("This
# was particularly evident …" had introduced Xi Jinping). The empty "it" of "It was only a week
# later that …" points nowhere and is allowed.
_REFERS_BACK = re.compile(r"^[\W_]*(?:(?:this|these|that|those)(?!\s+(?:time|year|week|month|day|morning|evening|weekend)\b)|"
                          r"such|he|she|his|her|they|their|them|its|the (?:latter|former)|"
                          r"it(?!\s+(?:is|was|has been|had been|seems|seemed|appears|appeared)\b))\b", re.I)
# A sentence that says what the term is gets this much on top of its cosine with the term's
# query: enough to win over a sentence that merely names the term in passing, not enough to pick
# an off-topic one (a guess, not tuned: measured only on the briefing, evals/DECISIONS.md).
DEFINES = 0.10
_ACRONYM = re.compile(r"[A-Z]{2,}")
# A name opening the sentence after one of these ends a fronted phrase at its comma, and what
# follows the comma is the sentence's subject, not an apposition.
_FRONTED = re.compile(r"^[\W_]*(?:apart from|aside from|besides|unlike|like|except for|as for|beyond|after|before|"
                      r"without|against|along with|together with)\s+$", re.I)


def refers_back(text: str) -> bool:
    """Does `text` open with a pronoun or "This"/"Such" whose referent lies before it?"""
    return bool(_REFERS_BACK.match(text) or CLAUSE_PRONOUN.match(text.lstrip(" “‘\"'")))


def definition(text: str, names: list[str]) -> str | None:
    """What `text` says one of `names` is, from the name to the end of its clause: an apposition
    ("the Collective Security Treaty Organization, a Russian-led bloc to which Kazakhstan
    belongs", "Massimov, the head of …", "… Organisation, Central Asia's equivalent of Nato"),
    a copula ("The SCO is a regional body …") or a gloss ("a “color revolution” in Kazakhstan”,
    referring to the demonstrations that erupted …"); None when it says no such thing. A post
    before the name ("President Xi") is not enough: a photo caption ("Chinese President Xi
    Jinping and then Kazakh President Nursultan Nazarbayev in 2013.") has one and tells the
    reader nothing."""
    for m in names:
        # the name as matched, then the rest of it ("Collective Security Treaty" + " Organization")
        n = re.escape(m) + r"(?:\s+(?-i:[A-Z])[\w’'-]*)*(?:\s*\([^)]*\))?"
        found = re.search(rf"(?<!\w){n},\s+(?:a|an|the|who|which|whose|(?:(?-i:[A-Z])[\w-]*\s+){{0,2}}[\w-]+['’]s)\b", text, re.I)
        if found and _FRONTED.match(re.split(r"“|[.!?]\s+", text[:found.start()])[-1]):  # from its sentence's start
            found = None  # "Apart from Putin, the other clear winner … is Tokayev": no apposition
        found = found \
            or re.search(rf"(?<!\w){n}\s+(?:is|was|are|were|has been|had been)\s+(?:a|an|the|one)\b", text, re.I) \
            or re.search(rf"(?<!\w){n}[^,.;:]{{0,30}},\s+(?:referring to|meaning|i\.e\.|that is,)\s", text, re.I)
        if found:  # to the end of the apposition's or the copula's clause
            stop = re.search(r"[,;:]\s|\.\s*$", text[found.end():])
            return text[found.start():found.end() + (stop.start() if stop else len(text))].strip()
    return None


def defines(text: str, names: list[str]) -> bool:
    return definition(text, names) is not None


def best_quote(term: dict, articles: dict[str, Article], exclude=frozenset(), introduce: bool = False,
               define: bool = False, role: bool = False) -> tuple[str, int, int] | None:
    """(article id, start, end) of the sentence that explains `term` best: one containing a
    `match` phrase (the term in full preferred), closest in meaning to the term's `query`.

    `introduce` (the briefing, where the quote stands alone for a newcomer): not a sentence
    opening with a reference to what came before it (`refers_back`, unless nothing else names
    the term) nor a caption, and a sentence that says what the term is (`defines`) or states a
    person's role (`people.introduces`: "President Tokayev enforced …") preferred. Answers keep
    the plain choice until that is measured on the gold set's dev split.

    `define` (the briefing's glossary): when some candidate says what the term is, the one whose
    definition (`definition`, not the rest of its sentence) is closest to the query. The CSTO's
    entry had been "… called for the Russian-led Collective Security Treaty Organization (CSTO)
    to send peacekeepers", close to the query in words, while "… the Collective Security Treaty
    Organization, a Russian-led bloc to which Kazakhstan belongs." sits at the end of a long
    sentence about Kazakhstan's foreign minister.

    `role` (an entity of the briefing's who-is-who): only sentences that state what the term is
    or the person's role, when there are any. Putin's entry had been "Tokayev's decision to ask
    for Vladimir Putin's support …", which does not say who Putin is."""
    candidates = [(a.id, s, e) for a in articles.values() for s, e in sentence_spans(a.text)
                  if any(m.lower() in a.text[s:e].lower() for m in _names(term))
                  and ends_sentence(a.text[s:e]) and not is_instruction(a.text[s:e])
                  and (a.id, s, e) not in exclude]
    if introduce:
        # not a photo caption ("Chinese President Xi Jinping and then Kazakh President Nursultan
        # Nazarbayev in 2013.", people.says_something) nor a sentence pointing back; applied
        # before the full-name preference, which had left only "His predecessor, Nursultan
        # Nazarbayev, …" to fall back on
        candidates = [c for c in candidates if not refers_back(articles[c[0]].text[c[1]:c[2]])
                      and says_something(articles[c[0]].text[c[1]:c[2]])] or candidates
    # The term in full: for an acronym ("CSTO") its spelled-out name (a longer `match` phrase)
    # counts too, and is what a definition spells out.
    fulls = [term["term"]] + ([m for m in _names(term) if len(m) > len(term["term"])] if _ACRONYM.fullmatch(term["term"]) else [])
    full = [c for c in candidates if any(f.lower() in articles[c[0]].text[c[1]:c[2]].lower() for f in fulls)]
    candidates = full or candidates
    if not candidates:
        return None
    q = embed_cached(term["query"])
    names = [term["term"], *_names(term)]
    if role:
        candidates = [c for c in candidates if defines(articles[c[0]].text[c[1]:c[2]], names)
                      or introduces(articles[c[0]].text[c[1]:c[2]], names)] or candidates
    if define and (said := {c: d for c in candidates if (d := definition(articles[c[0]].text[c[1]:c[2]], names))}):
        return max(said, key=lambda c: float(embed_cached(said[c]) @ q))

    def fit(c: tuple[str, int, int]) -> float:
        text = articles[c[0]].text[c[1]:c[2]]
        # what it is, or who and in what post
        states = introduce and (defines(text, names) or introduces(text, names))
        return float(embed_cached(text) @ q) + (DEFINES if states else 0.0)

    return max(candidates, key=fit)


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


def closest_sentence(query: str, articles: dict[str, Article]) -> tuple[str, int, int] | None:
    """(article id, start, end) of the whole article sentence closest in meaning to `query`:
    the briefing's quote for a planned topic its written lines left out. A sentence opening
    with a reference to what came before it qualifies only when that is the article sentence
    before it (`antecedent`), which the caller quotes first: "This was particularly evident in
    a verbal message delivered by Xi Jinping to Tokayev on January 7." follows "Not only was
    Beijing uninformed, but Beijing lacked the expertise on the ground …"."""
    q = embed_cached(query)
    candidates = [(a.id, s, e) for a in articles.values() for s, e in sentence_spans(a.text)
                  if ends_sentence(a.text[s:e]) and not is_instruction(a.text[s:e])
                  and (not refers_back(a.text[s:e]) or antecedent(a.text, s))]
    if not candidates:
        return None
    return max(candidates, key=lambda c: float(embed_cached(articles[c[0]].text[c[1]:c[2]]) @ q))

