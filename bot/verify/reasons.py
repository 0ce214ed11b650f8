"""What a check finds: a `Finding` is the text a report shows ("2,500 (armenia)") and the name of
the check that found it. It is a `str`, so a sentence's `missing` list reads and serialises as
before; `finding.check` tells the kinds apart without parsing the text."""

from __future__ import annotations


class Finding(str):
    check: str

    def __new__(cls, text: str, check: str = "") -> Finding:
        obj = super().__new__(cls, text)
        obj.check = check or getattr(text, "check", "")
        return obj


# Reasons an added sentence (see Citer.cite) is dropped unseen rather than listed as unsupported.
REPEATS = "(repeats the answer)"
OFF_QUESTION = "(off the question)"
NOT_ADDED = {REPEATS, OFF_QUESTION}
RESTATES_QUESTION = "(restates the question)"  # a verdict no cited sentence gives (see verdict.echoes)
SUBJECT_LOST = "(subject from another sentence)"
SUBJECT_LEFT_OUT = "(its subject was left out)"
NEGATION = "(negation)"
UNSTATED_LINK = "(a link no source states)"  # a cause or purpose joining two things (facts.unstated_link)
NO_NAMED_SUBJECT = "(no named subject)"
