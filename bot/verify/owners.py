"""Checks on whose a claim's facts are: members of a body, possessions, subjects, posts,
descriptions and reported words must belong to the owner the cited sentences give them."""

from __future__ import annotations

import re

from .. import lexicon
from ..sentences import (
    _NOT_NAMES,
    POST_WORDS,
    _PRONOUN_SUBJECT,
    STOPWORDS,
    _NAME_RUN,
    _initials,
    _norm,
    _stem,
    content_stems,
    name_groups,
    opening_name,
    overlap,
    words,
)
from .names import _country, _names_in, _stands_for, _with_aliases, countries, one_name
from .reasons import SUBJECT_LOST

# "China was part of the CSTO", "Kyrgyzstan is a member of the SCO": a membership claim.
_MEMBERSHIP = re.compile(r"\b(?:is|was|are|were|has been|had been|became|remains?)\s+(?:not\s+)?(?:also\s+)?"
                         r"(?:an?\s+|the\s+)?(?:founding\s+)?(?:part|members?)\s+of\s+")


# "The CSTO is a military alliance between Russia, China, and Kazakhstan": members listed.
_ALLIANCE_OF = re.compile(r"\b(?:alliance|bloc|organi[sz]ation|union|grouping|pact)\s+(?:between|of|among|comprising|including)\s+")
_LISTED_NAME = r"(?:the\s+)?[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*"
_NAME_LIST = re.compile(rf"{_LISTED_NAME}(?:\s*,\s*(?:and\s+)?{_LISTED_NAME}|\s+and\s+{_LISTED_NAME})+")
# Words by which a sentence says who belongs ("China is not a member", "the other CSTO rulers of Armenia, …").
_MEMBER_CUE = re.compile(r"\b(?:members?|membership|part of|all(?:y|ies)|alliance|bloc|rulers?|belongs?|joined|led)\b", re.I)


def _listed_members(sentence: str, cited: list[tuple[str, str]]) -> list[str]:
    """Members listed for the body a sentence opens with, that no cited sentence gives as members.

    "The CSTO is a military alliance between Russia, China, and Kazakhstan" cited "The CSTO had
    not been considered a significant alliance until its intervention in Kazakhstan" and "China's
    approach to the Kazakh protests and Russia's CSTO peacekeeping intervention …": China is
    named beside the CSTO, but not as a member (it is not one). Each listed member needs a cited
    sentence (or the one before it) naming it and the body in words of belonging (`_MEMBER_CUE`).
    """
    body, m = opening_name(sentence), _ALLIANCE_OF.search(sentence)
    listed = _NAME_LIST.match(sentence, m.end()) if m else None
    members = name_groups(listed.group()) if listed else []
    if not body or len(members) < 2:
        return []
    unbound = [g for g in members if not any(
        _MEMBER_CUE.search(text) and _names_in(g, text) and (_names_in(body, text) or _names_in(body, prev))
        for text, prev in cited)]
    return [f"member of ({' '.join(sorted(g))} / {' '.join(sorted(body))})" for g in unbound]


def unbound_membership(sentence: str, cited: list[tuple[str, str]]) -> list[str]:
    """A membership claim whose member and body no cited sentence names together.

    "China was part of the CSTO, which deployed troops to Kazakhstan", citing a sentence on
    China's troops in Mali and "The CSTO had not been considered a significant alliance …",
    scored 0.73: every word is somewhere in its support, but nothing says China belongs to the
    CSTO. `cited` holds (sentence, the article sentence before it) pairs: a cited sentence must
    name the member, and it or the sentence before it the body, since articles leave the body
    implicit right after naming it ("… the Collective Security Treaty Organization, which has
    dispatched … troops. China is not a member.").
    """
    if listed := _listed_members(sentence, cited):
        return listed
    m = _MEMBERSHIP.search(sentence)
    if not m:
        return []
    before = name_groups(re.split(r"[,;:()]", sentence[: m.start()])[-1])
    # The body is the name right after "member of": in "part of the alliance whose troops were
    # deployed to Kazakhstan" the body is described, not named, and Kazakhstan is no body.
    rest = sentence[m.end():]
    after = name_groups(re.split(r"[,;:()]", rest)[0]) if re.match(r"(?:the\s+)?[A-Z]", rest) else []
    if not before or not after:
        return []
    member, body = before[-1], after[0]
    if any(_names_in(member, text) and (_names_in(body, text) or _names_in(body, prev)) for text, prev in cited):
        return []
    return [f"member of ({' '.join(sorted(member))} / {' '.join(sorted(body))})"]


# "Russia's response to …": a possessor and the one to three words after it.
_POSSESSIVE = re.compile(r"\b([A-Z][\w-]*)[’']s((?:\s+[a-z][\w-]*){1,3})")
_POSSESSIVE_PRONOUNS = {"its", "his", "her", "their"}
POSSESSOR_WINDOW = 4  # words either side of the possessed word in which its possessor must be


_PERSON_PRONOUN = re.compile(r"\b(?:he|she)\b", re.IGNORECASE)  # "Although he took over …": about someone


def unbound_subject(sentence: str, spans: list[str], known: str = "", before: list[str] | None = None) -> list[str]:
    """The name a claim opens with, found only in a cited sentence that says nothing else of it.

    "Uzbekistan's government reacted with concern, especially after the 2020 coup in Bishkek"
    cited "China … looks with concern at the protests … than it did the 2020 coup in Bishkek"
    for what was done and "… stability vis-à-vis Uzbekistan's, is now under scrutiny" for who
    did it: China's concern given to Uzbekistan. The cited sentences that name the subject
    must share some other content word with the claim. A cited sentence opening with "he",
    "this", … may be about the subject (the article's context tells), so it is let pass; so is
    one with "he" or "she" after a fronted clause ("Although he took over the presidency …")
    when the article sentence before it (`before`, one per span) names the subject.
    """
    name = opening_name(sentence)
    # "The Spectator reported …": the source, not the subject.
    if len(spans) < 2 or not name or name <= set(words(known)):
        return []
    subject = _with_aliases(name)

    def said(text: str) -> set[str]:
        return content_stems(text) - {_stem(w) for w in subject}

    rest = said(sentence)
    holders = [t for t in spans if subject & set(words(t))]
    if not holders or any(_PRONOUN_SUBJECT.match(t) and rest & said(t) for t in spans):
        return []
    if any(_PERSON_PRONOUN.search(t) and subject & set(words(b)) and rest & said(t) for t, b in zip(spans, before or [])):
        return []
    return [] if any(rest & said(t) for t in holders) else [f"{' '.join(sorted(name))} {SUBJECT_LOST}"]


def unbound_possessives(sentence: str, spans: list[str]) -> list[str]:
    """Possessives ("Russia's response") whose words a cited sentence has with another owner only.

    "Russia's response to the unrest was relatively low-key", citing "China's response has
    been relatively low-key as Russia … steps in to crush a wave of protests", has every
    word in its source, with the attribute moved from China to Russia. The possessed word
    must be near its possessor (or a possessive pronoun, which the check cannot resolve) in
    some cited sentence; possessed words no cited sentence has are left to the overlap score.
    On 269 kept sentences of eight saved eval runs this flagged only that one.
    """
    unbound = []
    for m in _POSSESSIVE.finditer(sentence):
        owners = _stands_for(_norm(m.group(1))) | _POSSESSIVE_PRONOUNS
        owned = {w[:5] for w in words(m.group(2)) if w not in STOPWORDS and not w.isdigit()}
        near = found = False
        for text in spans:
            ws = [w for w in words(text) if not w.isdigit()]  # "1,100-mile" is no word between
            for i, w in enumerate(ws):
                if w[:5] in owned:
                    found = True
                    near = near or bool(owners & set(ws[max(0, i - POSSESSOR_WINDOW):i + POSSESSOR_WINDOW + 1]))
        if found and not near:
            unbound.append(f"{_norm(m.group(1))}'s {m.group(2).strip()}")
    return unbound


# Verbs that give words or views to a speaker (also used by speakers.py).
SPEECH_VERBS = (r"said|says|noted|notes|argued|argues|suggested|suggests|warned|warns|added|stated|states|believes|believed|"
                r"suspects|suspected|explained|claimed|claims|told|wrote|accused|called|praised|critici[sz]ed|urged|announced|"
                r"pledged|promised|insisted|denied|described|blamed|welcomed")
# "Igor Denisov, a researcher, noted that …": a named speaker and the words given as theirs.
_SPEECH = re.compile(
    r"^(?P<who>(?:[A-Z][\w’'-]*\s+){0,3}?[A-Z][\w’'-]*)(?:,[^,]{0,120},)?\s+(?:has\s+|had\s+)?"
    rf"(?:{SPEECH_VERBS})\b(?:\s+that)?\s+(?P<what>.+)$")
SPEAKER_SHARE = 0.5  # share of the reported words a sentence naming the speaker must hold
# A second clause with a subject of its own: "…, while Putin …", "…; Beijing …", "…, but the SCO …".
_NEXT_SPEAKER = re.compile(r"\s*;\s*|,?\s+(?:while|whereas|but)\s+(?=(?:the\s+)?[A-Z])")


# "The CSTO is a regional body …": a name, a copula and the description given to it.
_COPULA = re.compile(r"(?:^|(?<=[,;:] )|(?<=\bthat ))(?P<name>(?:The\s+)?(?:[A-Z][\w’'-]*\s+){0,4}?[A-Z][\w’'-]*)\s+"
                     r"(?:is|was|are|were|has been|had been)\s+(?:not\s+)?(?:a|an|the)?\s*(?P<desc>[a-z][\w\s’'-]+)")


def _described(text: str) -> list[tuple[set[str], list[str]]]:
    """(name words, first two content words of the description) of each "X is a …" in `text`."""
    out = []
    for m in _COPULA.finditer(text):
        name = set().union(*name_groups(m["name"]))
        desc = [w for w in words(m["desc"]) if w not in STOPWORDS and len(w) > 2][:2]
        if name and len(desc) == 2:
            out.append((name, desc))
    return out


def swapped_descriptions(sentence: str, spans: list[str], passages: list[str] = ()) -> list[str]:
    """Descriptions that the sources give to another name.

    "The CSTO is a regional body …", citing "The SCO is a regional body founded by China …"
    for the words and another sentence for "CSTO", or citing only "The CSTO had not been
    considered a significant alliance …" while "regional body" comes from the SCO sentence
    among the retrieved `passages`. A description from the passages counts only when the
    cited `spans` lack its words: "Niva Yau is a senior researcher", citing "Niva Yau, a
    senior researcher at …", is hers even if the passages also call Pantucci one. On 256
    kept sentences of thirteen saved runs this flagged only those two (comparison-07's).
    """
    cited = {w[:5] for t in spans for w in words(t)}
    theirs = [d for t in spans for d in _described(t)]
    swapped = []
    for name, desc in _described(sentence):
        owners = set().union(*(_stands_for(w) for w in name))
        borrowed = [] if all(w[:5] in cited for w in desc) else [d for t in passages for d in _described(t)]
        swapped += [f"({' '.join(desc)}: {' '.join(sorted(other))}'s)" for other, d in theirs + borrowed
                    if d == desc and not owners & other]
    return sorted(set(swapped))


_POST_WORD = f"(?i:{POST_WORDS})"  # any case: "Kazakh President …" and "the president of …"
_LAND = r"[A-Z][\w’'-]*"
_TITLE = re.compile(rf"\b(?P<land>{_LAND})\s+(?:(?i:foreign|prime)\s+)?(?P<post>{_POST_WORD})\s+(?P<name>(?:[A-Z][\w’'-]*\s*){{1,3}})")
_APPOSITIVE = re.compile(rf"(?P<name>(?:[A-Z][\w’'-]*\s+){{0,2}}[A-Z][\w’'-]*),\s+(?:the\s+|then\s+|a\s+)*(?P<land>{_LAND})\s+"
                         rf"(?:foreign\s+|prime\s+)?(?P<post>{_POST_WORD})\b", re.IGNORECASE)
_POST_OF = re.compile(rf"\b(?P<post>{_POST_WORD})\s+of\s+(?P<land>{_LAND})", re.IGNORECASE)
_PERSONAL = re.compile(r"\b(?:he|she)\b", re.IGNORECASE)


def _post_lands(text: str) -> dict[tuple[str, str], set[str]]:
    """(name word, post) -> the countries `text` gives that post for, from titles and appositives."""
    held: dict[tuple[str, str], set[str]] = {}
    for m in [*_TITLE.finditer(text), *_APPOSITIVE.finditer(text)]:
        land = _country(m.group("land"))
        if land:
            for w in words(m.group("name")):
                if w not in _NOT_NAMES:
                    held.setdefault((w, m.group("post").lower()), set()).add(land)
    return held


# A post asked for one country without its holder's name: "Russia's foreign minister", "the Chinese
# foreign minister" (and "the president of Kazakhstan", read by _POST_OF).
_POST_ASKED = re.compile(rf"\b(?P<land>{_LAND})(?:[’']s)?\s+(?:(?i:foreign|prime)\s+)?(?P<post>{_POST_WORD})\b")


def post_held_elsewhere(question: str, text: str) -> bool:
    """Does `text` give the post `question` asks for one country ("Who was Russia's foreign
    minister …?") only to holders of it for another ("Wang Yi, the Chinese foreign minister")?
    Such a quote names a person and a post, and still not whom the question is after. Only a
    contradiction counts: a holder `text` ties to no country, or one of the asked country, passes."""
    asked = set()
    for m in [*_POST_ASKED.finditer(question), *_POST_OF.finditer(question)]:
        if land := _country(m.group("land")):
            asked.add((m.group("post").lower(), land))
    if not asked:
        return False
    held = _post_lands(text)
    for post, land in asked:
        lands = set().union(*(given for (_, p), given in held.items() if p == post))
        if not lands or land in lands:
            return False
    return True


def misplaced_posts(sentence: str, spans: list[str]) -> list[str]:
    """A post the claim gives for one country that its cited sentences give its holder for another.

    "Xi Jinping first unveiled the Belt and Road Initiative in 2013, when he was the president
    of Kazakhstan" cites "Chinese President Xi Jinping and then Kazakh President Nursultan
    Nazarbayev": every word is there, but the Kazakh presidency is Nazarbayev's. Only a
    contradiction counts: a holder whose post the cited sentences do not tie to a country passes.
    """
    claims = []
    for m in _POST_OF.finditer(sentence):
        clause = re.split(r"[,;:()]", sentence[:m.start()])[-1]
        groups = [g for g in name_groups(clause) if not g <= countries()]
        holder = groups[-1] if groups else (opening_name(sentence) if _PERSONAL.search(clause) else set())
        claims.append((holder, m.group("post").lower(), _country(m.group("land"))))
    for m in _TITLE.finditer(sentence):
        claims.append((set(words(m.group("name"))) - _NOT_NAMES, m.group("post").lower(), _country(m.group("land"))))
    held = _post_lands(" ".join(spans))
    wrong = []
    for holder, post, land in claims:
        given = set().union(*(held.get((w, post), set()) for w in holder)) if holder and land else set()
        if given and land not in given:
            wrong.append(f"({post} of {land}: {' '.join(sorted(holder))} is {post} of {', '.join(sorted(given))})")
    return wrong


def unbound_speaker(sentence: str, spans: list, articles: dict, idf: dict[str, float]) -> list[str]:
    """A named speaker whose reported words no cited sentence gives as theirs.

    "Denisov suggested that Russia still has an upper hand in Central Asian politics",
    citing "What is clear though is that Russia still has an upper hand …" (the author's
    words) and "as Igor Denisov rightfully noted, such a split is completely arbitrary",
    has every word in its sources but puts one author's words in Denisov's mouth. The
    words must be mostly (SPEAKER_SHARE) in a cited sentence (`spans`: cite.Span) that names
    the speaker, or that begins "He"/"She" right after one that does. One cited sentence is
    checked by the name check already. On 255 kept sentences of eleven saved eval runs this
    flagged four, all misattributions (also "Tleuberdi stated that Beijing was ready …",
    which Wang Yi said, and "Putin praised Tokayev for being decisive", which Xi did).
    """
    if len(spans) < 2:
        return []
    # "Xi praised Tokayev …, while Putin made clear that …": each speaker's own words, checked apart
    return [x for clause in _NEXT_SPEAKER.split(sentence) for x in _unbound_words(clause, spans, articles, idf)]


def _unbound_words(sentence: str, spans: list, articles: dict, idf: dict[str, float]) -> list[str]:
    """`unbound_speaker` for one clause: its named speaker's words, or [] when it names none."""
    m = _SPEECH.match(sentence)
    if not m or not (named := set().union(*name_groups(m["who"]))):
        return []
    # "Beijing said" for "Xi said"; a state's name is no alias, as sentences name states as
    # objects ("Russian military intervention" in the sentence about what Xi praised).
    who = named | set().union(*(_stands_for(w) - set(lexicon.current().stands_for) for w in named))
    for span in spans:
        before = articles[span.article_id].text[max(0, span.start - 400):span.start]
        names = who & set(words(span.text)) or (_PRONOUN_SUBJECT.match(span.text) and who & set(words(before)))
        if names and overlap(m["what"], span.text, idf=idf) >= SPEAKER_SHARE:
            return []
    return [f"(words not given as {' '.join(sorted(named))}'s)"]


def _places_of(text: str) -> set[str]:
    """The stems of `text`'s words, each with the names that stand for it in the lexicon, both ways: a
    demonym's state ("Kyrgyz" for Kyrgyzstan, "American" for the US), a state's capitals and
    leaders, and a capital's or leader's state ("Putin" for Russia)."""
    out = set()
    for w in words(text):
        out |= {_stem(x) for x in _stands_for(_country(w) or _norm(w))} | {_stem(w)}
    return out


def _same_place(a: str, b: str) -> bool:
    """A state and its people's name with no demonym entry: "Kazakh" and "Kazakhstan", "Chinese"
    and "China" (one begins the other, one of them a country of the lexicon)."""
    return one_name(a, b) and bool({a, b} & countries())


def amount_owner_unnamed(question: str, shown: str, known: str = "") -> list[str]:
    """The names of an amount question (its owners: a state, a people, a city, a body, a company, a
    person) that neither `shown` (the answer's quotes and the sentence before each) nor `known`
    (the cited articles' outlets, authors and titles: what each article is about) names. Asked
    "What percentage of Muslims in Kyrgyzstan believe in Sharia law?", "… Kazakh Muslims … with
    only around 10 per cent believing in Sharia law" gives another people's share. A name is met
    through what stands for it (a state's capital and leaders, its demonym), or its initials. The
    question's first word is left out: "Roughly how many …?" names no one."""
    rest = re.sub(r"^\W*\S+", "", question)
    have, have_words = _places_of(f"{shown} {known}"), set(words(f"{shown} {known}"))
    initials = _initials(f"{shown} {known}")
    missing = []
    for run in _NAME_RUN.finditer(rest):  # each name as the question writes it, for the reader
        group = set().union(*name_groups(run.group())) - _NOT_NAMES
        if not group or group & initials:
            continue
        if _places_of(" ".join(group)) & have or any(_same_place(w, x) for w in group for x in have_words):
            continue
        missing.append(re.sub(r"^(?:the|of)\s+|[’']s$", "", run.group()))
    return missing
