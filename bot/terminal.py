"""An answer as terminal text: what `bot ask` prints, piece by piece as the answer streams.

`bot ask` in its own process and a running `bot serve` answering for it (bot/remote.py) both
print through `answer_text`, so an answer routed to the server reads exactly as a local one.
"""

from __future__ import annotations

import json
from typing import Iterator

from .answer import Delta, Done, Sentence, render
from .app import Bot

OUT, ERR = "out", "err"  # which stream a piece goes to


def answer_text(bot: Bot, question: str, as_json: bool) -> Iterator[tuple[str, str]]:
    """(stream, text) pieces: the answer streamed, its sources, and one timing line on stderr."""
    if as_json:
        yield OUT, json.dumps(bot.ask(question).to_json(), ensure_ascii=False, indent=2) + "\n"
        return
    answer, streamed = None, False
    for event in bot.stream(question):
        if isinstance(event, Delta):
            yield OUT, event.text
        elif isinstance(event, Sentence):
            s = event.sentence
            streamed = streamed or s.supported
            marks = "" if s.inline else "".join(f"[{n}]" for n in s.citations)
            left = " (unverified; left out)" if bot.settings.strict else " (unverified)"
            yield OUT, f" {marks}" + ("" if s.supported else left) + " "
        elif isinstance(event, Done):
            answer = event.answer
    lines = [""]
    if answer.refused:
        lines.append(answer.text)
        if answer.related:  # no answer could be checked, but these passages are on the subject
            lines.append("\nPassages closest to your question (for your own reading; not checked as an answer):")
            for p in answer.related:
                who = ", ".join(x for x in (p.outlet, p.date) if x)
                lines.append(f"- {p.title} ({who})" + (f" {p.url}" if p.url else ""))
                lines.append(f"    “{p.excerpt}”")
        if not answer.sentences:  # a plain refusal: nothing cited, no sources to list
            yield OUT, "\n".join(lines) + "\n"
            return
        # A terminal cannot take back what it streamed: the verified quotes are already above.
        lines.append("The verified quotes above are what the articles do say." if streamed
                     else "What the articles do say: " + render(answer.sentences, strict=True))
    lines += answer.unanswered  # the parts of the question the articles leave open, said
    if answer.left_out:
        lines.append(f"\n({len(answer.left_out)} sentence(s) left out of the answer: no article supports them.)")
    lines.append("\nSources:")
    for c in answer.citations:
        who = ", ".join(x for x in (c.outlet, c.author, c.date) if x)
        lines.append(f"[{c.n}] {c.title} ({who})" + (f" {c.url}" if c.url else ""))
        lines.append(f"    “{c.quote}”")
    yield OUT, "\n".join(lines) + "\n"
    yield ERR, f"\n({answer.backend}: {answer.model}, {answer.timings.get('total', 0):.1f} s)\n"
