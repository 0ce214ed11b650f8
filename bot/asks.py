"""What a question asks for, and whether a sentence gives it.

The checks after an answer (bot/app.py, Bot._verdict) read here what kind of thing is asked (an
amount, a share, a date, a person in a post, someone's own words) and whether a shown sentence
states that kind of thing; and which parts a two-part question has. All of it is general English
(question words, verbs of being in charge, nouns of posts, units of time); names come from the
corpus (bot/lexicon.py), never from here.
"""

from __future__ import annotations

import calendar
import re
import unicodedata

from . import lexicon
from .sentences import STOPWORDS, _stem, content_stems, name_groups, words
from .verify.names import one_name


# Questions after one quantity, time or place: a second fact would only be padding.
_ONE_FACT = re.compile(
    r"^\s*(?:(?:in |for |by |at )?how (?:many|much|long|far|old|big)|when|where|(?:in|on|at) (?:which|what)|what (?:year|date|day|month|time))\b",
    re.IGNORECASE)


# What one says of a sum of money: "How much did the hub cost?" asks for an amount, "How much did
# China say?" does not; "How much was the hub worth?" asks for a sum (MONEY below).
_MONEY_VERBS = (r"worth|cost|costs|spend|spent|pay|paid|invest|invested|earn|earned|trade|traded|sell|sold|buy|bought|"
                r"lend|lent|borrow|borrowed|owe|owed|lose|lost")
# Questions after an amount: a count, a length of time or space, a share, a figure, a sentence.
# A hedge or a preposition may come first: "Roughly how many …?", "By how much …?" (always a
# difference), "By what percentage …?". The hedge is shared with the date and how-many questions.
_HEDGE = r"(?:(?:roughly|approximately|about|around|exactly|precisely)\s+)?"
_AMOUNT_ASKED = re.compile(
    rf"^\s*{_HEDGE}(?:(?:in|for|by|at|to|of)\s+)?"
    rf"(?:how (?:many|long|old|far|big|large)\b|(?<=by )how much\b|how much (?!(?:do|does|did|is|are|was|were|has|have|had|can|could|will|would)\b(?!.*\b(?:{_MONEY_VERBS})\b))"
    r"|(?:what|which) (?:[\w'’-]+ ){0,3}?(?:numbers?|percentage|share|proportion|amount|figures?|toll|population|price|cost|sum|fine|total|size|length|sentence)\b)",
    re.IGNORECASE)
# An amount stated: digits, a number word, a span of time ("a week later"), or a sentence without
# a number (life, death).
# English cardinals (the compounds, "sixty-three", are a tens word and a units word).
_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                 r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
                 r"hundreds?|thousands?|millions?|billions?|trillions?|dozens?")
_AMOUNT = re.compile(
    rf"\d|\b(?:{_NUMBER_WORDS}|scores of|half|third|quarter|majority|minority|decades?|centur(?:y|ies)|an? (?:hour|day|week|fortnight|month|year)|"
    r"life (?:sentence|imprisonment|in prison)|death (?:sentence|penalty))\b",
    re.IGNORECASE)


# "Of the 19 cities that saw violence, how many …?": the group counted is named before the question.
_OF_GROUP = re.compile(r"^\s*(?:and\s+)?of\s+(?:the|these|those|all)\s+(?P<group>[^,?]{1,80}),\s*(?=how\s+(?:many|much)\b)",
                       re.IGNORECASE)


def _without_group(question: str) -> tuple[str, str]:
    """(the question from its "how many/much" on, the group named before it or "")."""
    m = _OF_GROUP.match(question)
    return (question[m.end():], m["group"]) if m else (question, "")


def asks_amount(question: str) -> bool:
    """Is `question` after an amount ("How many soldiers …?", "What share of …?", "What prison
    sentence did he receive?"), so that an answer without one does not answer it?"""
    return bool(_AMOUNT_ASKED.match(_without_group(question)[0]))


# "What share of Norway's oil do US firms pump?" asks for a share of one thing: "17% of the oil
# extracted" answers it, "17% of the oil" does not answer "What share of Chile's gas imports …?".
_SHARE_ASKED = re.compile(r"^\s*(?:and\s+)?(?:(?:by|to)\s+)?(?:what|which)\s+(?:[\w'’-]+\s+){0,2}?"
                          r"(?:share|proportion|percentage|per ?cent|percent|fraction)\s+of\s+(?P<whole>[^?]+)", re.IGNORECASE)
_SHARE_SAID = re.compile(r"(?:\d[\d.,]*\s?(?:%|per ?cent\b|percent\b)|\b(?:half|a third|a quarter|the majority|a minority)\b)"
                         r"\s+of\s+(?P<whole>[^.;:,()]+)", re.IGNORECASE)
# The whole ends at the verb of the question ("… oil do US firms pump"); a possessive only says whose.
_WHOLE_ENDS = re.compile(r"\s(?:do|does|did|is|are|was|were|has|have|had|can|could|will|would|goes|go|went|ends?|comes?|passes|pass)\b.*",
                         re.IGNORECASE)


def _whole_words(phrase: str, n: int = 3) -> list[str]:
    """The first `n` words of what a share is of, less function words, a possessive's owner and
    the names of states and their peoples (general data, lexicon): "Norway's oil" is "oil"."""
    phrase, lex = _WHOLE_ENDS.sub("", phrase), lexicon.current()
    out = []
    for w in re.findall(r"[A-Za-z][\w'’-]*", phrase):
        low = w.lower()
        of_a_state = low in lex.states or low in lex.demonyms or any(one_name(low, st) for st in lex.countries)  # "Norwegian"
        if not (re.search(r"['’]s$", w) or low in STOPWORDS or of_a_state):
            out.append(low)
    return out[:n]


def share_of(question: str) -> list[str]:
    """What "What share of X …?" asks a share of: X's first words ([] for other questions)."""
    m = _SHARE_ASKED.match(question)
    return _whole_words(m["whole"]) if m else []


def states_share_of(sentence: str, whole: list[str], alike=None) -> bool:
    """Does `sentence` give a share of `whole` (share_of): one of the first words after "N% of"
    is one of `whole`'s, the same stem or (with `alike`) MiniLM cosine ≥ ALIKE ("firms" for
    "companies")? True when `whole` is empty."""
    if not whole:
        return True
    for m in _SHARE_SAID.finditer(sentence):
        for w in _whole_words(m["whole"], 4):
            if any(_stem(w) == _stem(x) or (alike is not None and alike(x, w) >= ALIKE) for x in whole):
                return True
    return False


# "On what date …?", "In which year …?", "When did …?" ask for a time; a "When the mayor took
# office, whom …?" clause does not.
_DATE_ASKED = re.compile(rf"^\s*{_HEDGE}(?:(?:on|in|by|from|since|until|at)\s+)?"
                         r"(?:(?:what|which) (?:exact )?(?:date|day|year|month|time)\b|when (?:did|does|do|was|were|is|are|had|has|have|will|would|could|can)\b)",
                         re.IGNORECASE)
# Month names as a text writes them, capitalised ("may" is a verb); abbreviations with their point or
# a day beside them would be read the same way.
_MONTHS = rf"(?-i:{'|'.join(calendar.month_name[1:])})"
_WEEKDAYS = "|".join(calendar.day_name)
# A time said: a month, a weekday, a year, a day of the month, a clock time, or a span of the calendar.
_CALENDAR = re.compile(rf"\b{_MONTHS}\b|\b(?:{_WEEKDAYS}|yesterday|today|tomorrow|tonight)\b"
                       r"|\b(?:1[5-9]|20)\d\d\b|\b\d{1,2}(?:st|nd|rd|th)\b|\b\d{1,2}[:.]\d\d\b"
                       r"|\b(?:day|week|month|year|decade|century|weekend|night|morning|evening|afternoon|noon|midnight)s?\b",
                       re.IGNORECASE)
# A date is no amount: "broke out in early January of 2022" answers no "By how much …?". A year after
# a preposition or a month, and a day beside its month, are left out before an amount is looked for.
_DATE_SAID = re.compile(rf"\b(?:(?:in|of|since|from|by|until|till|to|before|after|during|early|late|mid-?|the|spring|summer|autumn|"
                        rf"fall|winter|{_MONTHS})\s+)(?:1[5-9]|20)\d\d\b|^\s*(?:1[5-9]|20)\d\d\b"
                        rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\b|\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?\b", re.IGNORECASE)
# "When …?" is also answered by a time told by events: "after the suppression", "a week later", "on
# the eve of the talks", "ahead of the summit" (English's words placing one event by another). A
# vague time ("more recently", "now", "then", "at the time") says only that it happened: "When did
# China first set up its outposts?" was answered with "More recently, China has set up …".
_WHEN_ASKED = re.compile(r"\s*(?:(?:since|until) )?when\b", re.IGNORECASE)
_WHEN_SAID = re.compile(r"\b(?:after|before|during|while|when|until|since|later|earlier|ago|"
                        r"(?:on|at) the eve of|ahead of|prior to|in the run-up to|on the heels of|shortly)\b", re.IGNORECASE)


def asks_date(question: str) -> bool:
    """Is `question` after a time ("On what date …?", "When did …?")?"""
    return bool(_DATE_ASKED.match(question))


# "In which year …?" is answered by a year ("in 2015", "last year"), "In what month …?" by a month;
# "On the day that the mayor took office" dates no year.
_UNIT_ASKED = re.compile(r"^\s*(?:\w+\s+){0,2}?(?:what|which)\s+(?P<unit>year|month)\b", re.IGNORECASE)
_NEAR = r"(?:last|this|that|next|previous|same|following|a|one)"  # "last year", "a month"
_AGO = r"(?:ago|earlier|later|before|after)"  # "two years later"
_UNIT_SAID = {
    "year": re.compile(rf"\b(?:1[5-9]|20)\d\d\b|\b{_NEAR}\s+year\b|\byears?\s+{_AGO}\b", re.IGNORECASE),
    "month": re.compile(rf"\b{_MONTHS}\b|\b{_NEAR}\s+month\b|\bmonths?\s+{_AGO}\b", re.IGNORECASE),
}


def states_date(sentence: str, question: str) -> bool:
    """Does `sentence` say a time of the kind `question` asks: a year for "In which year …?", a
    month for "In what month …?", a date of the calendar for "On what date …?", that or a time
    told by events for "When …?"."""
    if (unit := _UNIT_ASKED.match(question)) is not None:
        return bool(_UNIT_SAID[unit["unit"].lower()].search(sentence))
    if _CALENDAR.search(sentence):
        return True
    return bool(_WHEN_ASKED.match(question)) and bool(_WHEN_SAID.search(sentence))


# The words of a date question that only say it asks a time.
_TIME_NOUNS = frozenset(_stem(w) for w in "date dates day days year years month months time times exact first".split())


# A time clause of the question itself ("… before he handed over to his deputy", "…, according to …"),
# to the next comma or the end; not the question's own opening ("Since when …", "When …").
_TIME_CLAUSE = re.compile(r",?\s+\b(?:before|after|during|while|when|until|since|according to)\b[^,?]*", re.IGNORECASE)


EVENT_CLOSE = 0.5  # MiniLM cosine of a question's main clause and a sentence dating the same event


def _main_clause(question: str) -> str:
    """`question` without its time clauses after the first three words."""
    opening = re.match(r"\s*(?:\S+\s+){3}", question)
    start = opening.end() if opening else len(question)
    return question[:start] + _TIME_CLAUSE.sub(" ", question[start:])


def dates_the_event(sentence: str, question: str, alike=None) -> bool:
    """Does `sentence`, which states a time, speak of what `question` asks the time of: a content
    word in common (the same stem or, with `alike`, MiniLM cosine ≥ ALIKE)? Asked "On what date
    was X arrested?", "The head of the intelligence services was sacked on 6 January." dates
    another event: a date moved from one event to another is the false answer it would pass."""
    # What happened is what must match: "When did the city start its campaign against street
    # vendors?" is not dated by a sentence that names the city beside another event's year. A
    # name in common counts only when the question says nothing of what happened beyond its names
    # and a time clause of its own ("Since when had Ann Lee been mayor before she handed over to
    # her deputy?": the clause sets the time, "mayor" is a post, so Ann Lee must match).
    asked = content_stems(question) - _TIME_NOUNS
    said = content_stems(sentence)
    names = {_stem(w) for g in name_groups(question) for w in g}
    main = _main_clause(question)
    # A post asked is part of the event when the sentence says someone took or left a post ("When
    # did X become president?" is dated by "he took over the presidency in March 2019"), though its
    # noun is a title word, not content; "Wang Yi, the Chinese foreign minister, announced …" only
    # describes him.
    posts = {_stem(w.lower()) for w in re.findall(rf"\b(?:{_POST}|{_OFFICE})\b", main, re.IGNORECASE)}
    event = ((content_stems(main) - _TIME_NOUNS) - names) | (posts if states_succession(sentence) else set())
    # Asked when someone took a post, the time must be of someone taking one: "It was only a week
    # later … that Wang Yi, the Chinese foreign minister, publicly announced …" dates no "When did
    # Wang Yi become foreign minister?" ("When did the rebels take over the city?" asks no post).
    if posts and states_succession(main) and not states_succession(sentence):
        return False
    if not event:
        return not asked or bool(asked & said)
    if event & said:
        return True
    if alike is None:
        return False
    # A name in common, and the sentence close in meaning to what is asked (MiniLM cosine): "On what
    # date was the country's spy chief fired?" and "The head of the country's intelligence services was
    # sacked on 6 January." share no word of the event (fired/sacked 0.62 as words) but 0.62 as
    # sentences; dates of other events beside a shared name were 0.31-0.43 on dev (2026-12-07).
    if names & said and alike(main, sentence) >= EVENT_CLOSE:
        return True
    asked_words = {w for w in words(question) if _stem(w) in event}
    said_words = {w for w in words(sentence) if _stem(w) in said}
    return any(alike(a, b) >= ALIKE for a in asked_words for b in said_words)


# "Who replaced X as …?", "Who took over from X?", "Who was appointed …?": a question after whoever
# took a post, answered only by naming that person.
_SUCCESSOR_ASKED = re.compile(
    r"^\s*(?:and\s+)?(?:who|whom)\s+(?:(?:then|eventually|later|finally|now|has|had|have)\s+)?(?:replaced|replaces|succeeded|succeeds|"
    r"took over|takes over|taken over|stepped in(?:to)?|(?:was|were|has been|had been|got) (?:appointed|named|chosen|elected|picked|installed|made)|"
    r"became|is now (?:in charge|the|head|chair))\b", re.IGNORECASE)


def asks_successor(question: str) -> bool:
    """Is `question` after whoever took a post or place ("Who replaced X as head of …?")?"""
    return bool(_SUCCESSOR_ASKED.match(question))


# A question after whoever holds a post: "Who heads/commanded …?", "Who is X's lawyer?", "Which
# regional official …?". General English: the verbs of being in charge and the nouns of posts and
# occupations. "Who is Ann Lee?" names its person and asks about them instead.
_IN_CHARGE = (r"heads?|headed|runs?|ran|leads?|led|commands?|commanded|chairs?|chaired|directs?|directed|"
              r"manages?|managed|governs?|governed|rules?|ruled|controls?|controlled")
_POST = (r"officials?|ministers?|leaders?|heads?|chiefs?|commanders?|presidents?|premiers?|spokes(?:man|men|woman|women|person)|"
         r"lawyers?|attorneys?|judges?|prosecutors?|scholars?|experts?|analysts?|researchers?|academics?|professors?|diplomats?|"
         r"envoys?|ambassadors?|generals?|officers?|directors?|chairm[ae]n|chairs?|deputy|deputies|successors?|predecessors?|"
         r"rulers?|journalists?|editors?|commentators?|secretary|secretaries|governors?|mayors?")
# Holding an office said as such: "Who held the post of …?", "Who occupied the chair?", "Who
# was serving as …?", "Who was in the post then?".
_HOLDS = (r"held|holds?|holding|occupied|occupies|occupy|occupying|filled|fills?|filling|"
          r"(?:(?:is|was|are|were)\s+)?in")
_OFFICE = r"posts?|positions?|offices?|jobs?|seats?|chairs?|chairmanships?|presidency|premiership|portfolios?|roles?"
_WHOSE = r"(?:the|a|an|that|this|its|his|her|their|[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*[’']s)"  # "the", "X's"
_ASKED_IN_CHARGE = (rf"(?:who|whom)\s+(?:(?:is|was|are|were|has|had)\s+)?(?:(?:now|currently|then|actually|still)\s+)?"
                    rf"(?:{_IN_CHARGE})\b")  # "Who heads …?"
_ASKED_HOLDING = (rf"who\s+(?:(?:is|was|are|were|has|had|has been|had been)\s+)?(?:(?:now|currently|then|still|already)\s+)?"
                  rf"(?:(?:{_HOLDS})\s+{_WHOSE}\s+(?:[\w’'-]+\s+){{0,3}}?(?:{_OFFICE})\b"
                  rf"|(?:served|serves|serve|serving|acted|acts|acting)\s+as\b)")  # "Who held the post of …?"
_ASKED_POST = (rf"who\s*(?:is|was|are|were|’s|'s)\s+{_WHOSE}\s+(?:[\w’'-]+\s+){{0,3}}?(?:{_POST})\b"
               rf"|which\s+(?:[\w’'-]+\s+){{0,3}}?(?:{_POST})\b")  # "Who is X's lawyer?", "Which official …?"
_POST_HOLDER_ASKED = re.compile(rf"^\s*(?:and\s+)?(?:{_ASKED_IN_CHARGE}|{_ASKED_HOLDING}|{_ASKED_POST})", re.IGNORECASE)
# "… is managed by China's military police": who is in charge, said in the passive, names a body.
_IN_CHARGE_BY = re.compile(rf"\b(?:{_IN_CHARGE}|run|managed|commanded|overseen|operated)\s+by\b", re.IGNORECASE)


# How a text says that someone took a post: the verbs of succeeding and of being put in office, and
# the nouns of the one before or after ("His predecessor, …", "new President …"). General English.
_SUCCESSION_SAID = re.compile(
    r"\b(?:took|takes?|taken|taking) over\b|\b(?:succeed(?:s|ed|ing)?|successors?|predecessors?|replac(?:e|es|ed|ing)|"
    r"appoint(?:s|ed|ing|ment)?|elect(?:s|ed|ing|ion)?|nominat(?:e|es|ed|ing)|install(?:s|ed|ing)?|promot(?:e|es|ed|ing)|"
    r"assum(?:e|es|ed|ing)|became|becomes?|sworn in|stepped in|steps in|handed over|new|newly|named as|chosen as|picked as)\b",
    re.IGNORECASE)


def states_succession(sentence: str) -> bool:
    """Does `sentence` say that someone took, was given or handed on a post ("he took over the
    presidency", "was elected to …", "His predecessor, …")? Asked "Who took over from Ann Lee as
    foreign minister?", a sentence naming another foreign minister says nothing of who came next."""
    return bool(_SUCCESSION_SAID.search(sentence))


def asks_person(question: str) -> bool:
    """Is `question` after a person: whoever took a post (asks_successor) or holds one?"""
    return asks_successor(question) or bool(_POST_HOLDER_ASKED.match(question))


def names_in_charge(sentence: str, question: str) -> bool:
    """Does `sentence` say by whom something is run ("… is managed by China's military police"),
    naming someone `question` does not? Asked "Who commands the military police that run the
    outpost?", the police running it is what the question already says."""
    asked = content_stems(question)
    for m in _IN_CHARGE_BY.finditer(sentence):
        agent = re.split(r"[.;:,()]|\b(?:and|or|but|not|which|who|that|while|whereas)\b", sentence[m.end():], maxsplit=1)[0]
        if any(_stem(w) not in asked for w in _whole_words(agent, 3)):
            return True
    return False


# "What did X say/tell/promise …?", "How did X respond to …?": a question after a named person's
# own words, answered only by a statement the article gives as theirs (speakers.statement_of).
_WORDS_ASKED = re.compile(
    r"^\s*(?i:and\s+)?(?i:(?:what|how)\s+(?:did|does|do|has|have|had))\s+(?P<who>[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*)\s+"
    r"(?i:(?:\w+ly\s+)?(?:say|said|tell|told|reply|replied|respond|responded|answer|answered|promise|promised|pledge|pledged|"
    r"offer|offered|announce|announced|claim|claimed|argue|argued|write|wrote|comment|commented|warn|warned))\b")


def words_asked_of(question: str) -> str:
    """The person whose own words `question` asks for, as written ("" when it asks for none's):
    the name right after "What did …" or "How did …" before a verb of saying. A state or a city
    speaks by its officials ("What did Paris say?" asks its position), so is none."""
    m = _WORDS_ASKED.match(question)
    if not m:
        return ""
    place = lexicon.current().not_speakers
    return "" if all(w in place for g in name_groups(m["who"]) for w in g) else m["who"]


def states_amount(sentence: str, counted: str | None = None, alike=None) -> bool:
    """Does `sentence` state an amount, and when the question counts something (counted_noun),
    a number of that thing: "8,000 people have been arrested" gives no count of "foreign
    militants", nor "17% of the oil" one of "companies". `alike(a, b)`: how close two words
    are in meaning (0-1), for "troops" counted as "soldiers"."""
    sentence = _DATE_SAID.sub(" ", re.sub(r"\[\d+\]", "", sentence))
    if not _AMOUNT.search(sentence):
        return False
    if counted is None:
        return True
    if counted in _PEOPLE:  # "people" is what any count of people counts, but a share counts no one
        return any(not _SHARE.match(sentence[m.end():]) for m in _NUMBER.finditer(sentence))
    for m in _NUMBER.finditer(sentence):
        after = re.split(r"[.;:,()]", sentence[m.end():], maxsplit=1)[0]
        if _SHARE.match(after):
            continue  # a share counts no thing
        for w in re.findall(r"[A-Za-z][\w'’-]*", after)[:5]:
            w = w.lower()
            if w.rstrip("s") == counted.rstrip("s") or (alike is not None and alike(counted, w) >= ALIKE):
                return True
    return False


# What "How many foreign militants …?" counts: the first plural noun in the four words after
# "how many" (a plural ends in -s; English's common irregular ones are listed).
_HOW_MANY = re.compile(rf"^\s*{_HEDGE}(?:(?:in|for|by|at|to|of)\s+)?how many\s+(.*)",
                       re.IGNORECASE | re.DOTALL)
_IRREGULAR_PLURALS = frozenset("people police men women children personnel staff".split())
_NOT_PLURAL = frozenset("was is has does this its his hers ours yours theirs as us thus less across news".split())
_PEOPLE = frozenset({"people", "persons"})
_NUMBER = re.compile(rf"\d(?:[\d,.]*\d)?|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)  # a count: figures, number words
_SHARE = re.compile(r"\s*(?:%|per ?cent\b|percent\b)", re.IGNORECASE)
# Two words count as the same thing from this MiniLM cosine up: synonyms such as soldiers/troops
# (0.89), companies/firms (0.87), cities/towns (0.81), militants/terrorists (0.69) are above it;
# kinds that differ, such as people/vehicles (0.46), militants/people (0.40), companies/oil
# (0.36), people/nationals (0.27), are below (measured on these general pairs).
ALIKE = 0.65


def counted_noun(question: str) -> str | None:
    """The thing a "How many …?" question counts ("militants" in "How many foreign militants
    were arrested?"), lower-cased; None for other questions or when no plural is found."""
    question, group = _without_group(question)
    m = _HOW_MANY.match(question)
    if not m:
        return None
    # the plural after "how many", else the group's ("Of the 19 cities …, how many were …?")
    for part in (re.findall(r"[A-Za-z][\w'’-]*", m[1])[:4], re.findall(r"[A-Za-z][\w'’-]*", group)):
        for w in part:
            w = w.lower()
            if w in _IRREGULAR_PLURALS or (len(w) > 3 and w.endswith("s") and not w.endswith("ss") and w not in _NOT_PLURAL):
                return w
    return None


# "What is the population of X?" asks for a figure of one kind: a number of homes flooded does not
# answer it. Only measures that a sentence names when it gives them; "toll", "size", "length" or
# "sentence" are stated as "225 killed", "1,100 miles", "ten years" without the word.
_MEASURE = re.compile(r"^\s*(?:what|which)\s+(?:(?:is|was|are|were)\s+)?(?:(?:the|its|their|his|her)\s+)?(?:[\w-]+\s+)?"
                      r"(population|price|cost|fine|salary|budget|revenue|debt)s?\b", re.IGNORECASE)
# "How many people live in X?" asks its population too: "8,000 people have been arrested" counts
# people, but not those who live there.
_LIVING_ASKED = re.compile(rf"^\s*{_HEDGE}how many (?:people|persons|inhabitants|residents)\s+(?:\w+\s+)?"
                           r"(?:live|lived|living|reside|resided|residing)\b", re.IGNORECASE)
POPULATION = "population"


# "How much money has China invested …?", "How much was the hub worth?": a sum of money, which a
# share ("17% of the oil extracted") or a count does not give.
_MONEY_ASKED = re.compile(rf"^\s*(?:(?:in|for|by|at|to)\s+)?how much\b(?=.*\b(?:money|{_MONEY_VERBS}|compensation|funding|loans?)\b)",
                          re.IGNORECASE | re.DOTALL)
MONEY = "money"
# A sum is written with a currency sign (any of Unicode's, so no list of currencies: $, €, £, ¥, ₸ …;
# the Basic Multilingual Plane holds all but a few historic ones and is read in 25 ms, not 280),
# an ISO code ("USD 5m") or a currency's name after the figure ("1.5 billion dollars").
_SIGNS = "".join(re.escape(c) for c in map(chr, range(0x10000)) if unicodedata.category(c) == "Sc")
_CURRENCY = r"(?:dollars?|euros?|pounds sterling|yuan|renminbi|yen|roubles?|rubles?|francs?|rupees?)\b"
_SUM = re.compile(rf"[{_SIGNS}]\s?\d|\d[\d,.]*\s?[{_SIGNS}]|\b(?-i:[A-Z]{{3}})\s?\d|\d[\d,.]*\s?(?:[mb]n\s|(?:{_NUMBER_WORDS})\s)?"
                  rf"{_CURRENCY}|\b(?:{_NUMBER_WORDS})[\s-]{_CURRENCY}", re.IGNORECASE)  # "a trillion-dollar scheme"


def measured_noun(question: str) -> str | None:
    """The kind of figure "What is the population of …?" asks for ("population"), lower-cased;
    MONEY for "How much … cost / worth / invest …?"; "population" for "How many people live in
    …?"; None for other questions."""
    if _MONEY_ASKED.match(question):
        return MONEY
    if _LIVING_ASKED.match(question):
        return POPULATION
    m = _MEASURE.match(question)
    return m[1].lower() if m else None


def names_measure(sentence: str, measure: str | None, alike=None) -> bool:
    """Does `sentence` say what kind of figure it gives: the asked measure's word or one close to
    it in meaning ("costs" for "price", "inhabitants" for "population")? True when no measure is asked."""
    if measure is None:
        return True
    if measure == MONEY:
        return bool(_SUM.search(sentence))
    for w in re.findall(r"[A-Za-z][\w'’-]*", sentence):
        w = w.lower()
        if w.rstrip("s") == measure or (alike is not None and len(w) > 3 and alike(measure, w) >= ALIKE):
            return True
    return False


# "How long did the blackout last?", "How far from the capital …?": a span of time or of space,
# which a count does not give ("By sending 2,500 troops …" answers no "How long did the troops
# stay?"). A time of the calendar or a unit of time (_CALENDAR) or of length gives one (states_span).
_SPAN_ASKED = re.compile(rf"^\s*{_HEDGE}(?:(?:in|for|by|at|to|of)\s+)?how (?:long|far)\b", re.IGNORECASE)
# "How far is the town from the border?" asks a distance, which "two years after" does not give;
# "How far back …?" asks a time.
_DISTANCE_ASKED = re.compile(rf"^\s*{_HEDGE}(?:(?:in|for|by|at|to|of)\s+)?how far\b(?!\s+(?:back|ahead|forward|into)\b)",
                             re.IGNORECASE)
_LENGTH = re.compile(r"\b(?:miles?|kilomet(?:re|er)s?|km|met(?:re|er)s?|feet|foot|yards?|inch(?:es)?)\b", re.IGNORECASE)


def asks_span(question: str) -> bool:
    """Is `question` after a span of time or space ("How long …?", "How far …?")?"""
    return bool(_SPAN_ASKED.match(question))


def states_span(sentence: str, question: str) -> bool:
    """Does `sentence` say a span of the kind `question` asks (asks_span): a length for "How far
    …?", a time (a unit of time, a date, a year) or a length for "How long …?"."""
    if _LENGTH.search(sentence):
        return True
    return not _DISTANCE_ASKED.match(question) and bool(_CALENDAR.search(sentence))


def wants_more(question: str) -> bool:
    """May the answer to `question` hold more than one fact? ("How did the council respond?"
    yes; "How many soldiers…?", "When…?", "In which town…?" no.)"""
    return not _ONE_FACT.match(question)


# For the checks of each part, a preposition may come first: "…, and by how much did trade drop?".
# (answer.spell_out_parts, which lists the parts for the model, keeps to question words:
# changing it changes what the model reads.)
_SECOND_PART_CHECKED = re.compile(r",?\s+and\s+(?=(?:(?:in|for|by|at|to|on|of|from|since|until)\s+)?"
                                  r"(?:what|why|how|when|who|whom|where|which|did|does|do|is|was|were)\b)", re.IGNORECASE)


# "Who is Ann Lee? Why would her arrest worry the council?": a question mark ends a part when
# more follows it.
_NEXT_QUESTION = re.compile(r"(?<=\?)\s+(?=\S)")


def question_parts(question: str) -> list[str]:
    """The questions `question` asks, each without its question mark: "How long is X, and what
    has the council done about Y?" asks two, as does "Who is X? What did he say?". A part of under
    three words ("When?", "Why not?") leans on the one before it and stays with it."""
    parts: list[str] = []
    for piece in _NEXT_QUESTION.split(question.strip()):
        for part in _SECOND_PART_CHECKED.split(piece.strip().rstrip("?").strip(), maxsplit=1):
            part = part.strip()
            if part and parts and len(part.split()) < 3:
                parts[-1] += "? " + part
            elif part:
                parts.append(part)
    return parts or [question]
