"""The newcomer briefing and its glossary: small cited answers and quotes, cached per index generation.

Each section retrieves its own passages (no stuffing the corpus into one prompt), the LLM
writes a few sentences, and only sentences the verifier supports are kept, each with its
[n] citations: nothing uncited is stated. "What remains disputed" quotes the claims of
corpus/contested.yaml directly. Results are cached under the index folder keyed by the
index generation, the prompts and the model, so the second request is instant.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from . import lexicon, people
from .answer import Sentence, cite_stream, format_sources
from .app import Bot
from .cite import Citation, Citer
from .embeddings import embed
from .files import keep_newest
from .conflicts import all_conflicts, quote_sides
from .glossary import best_quote, closest_sentence, definition, refers_back
from .guard import is_instruction, without_instructions
from .quotes import in_their_words
from .retrieve import Passage
from .sentences import ends_sentence, previous_sentence, quote, quote_markers, words

MAX_PASSAGES = 6  # per section: keeps each prompt near 1,000 tokens
SECTION_TOKENS = 400
MAX_LINES = 6  # per written section: the prompt asks for 3-6, the model sometimes runs on
SHORT_WORDS = 5  # a quoted sentence this short is read with the one before it (not tuned: the first guess)
BRIEFINGS_KEPT = 4  # cached briefings kept in the index folder (see prune_cache)


@dataclass
class Line:
    text: str
    citations: list[int]
    inline: bool = False  # the markers already stand inside `text` (quoted claims)
    entry: bool = False  # "Term: …", the line introducing a person, organisation or term


@dataclass
class Section:
    title: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class Briefing:
    title: str
    sections: list[Section]
    glossary: list[tuple[str, Line | None]]
    citations: list[Citation]
    model: str
    generation: str

    def to_json(self) -> dict:
        return {"title": self.title, "sections": [asdict(s) for s in self.sections],
                "glossary": [{"term": t, "line": asdict(l) if l else None} for t, l in self.glossary],
                "citations": [c.__dict__ for c in self.citations], "model": self.model, "generation": self.generation}

    @classmethod
    def from_json(cls, d: dict) -> "Briefing":
        return cls(d["title"], [Section(s["title"], [Line(**l) for l in s["lines"]]) for s in d["sections"]],
                   [(g["term"], Line(**g["line"]) if g["line"] else None) for g in d["glossary"]],
                   [Citation(**c) for c in d["citations"]], d["model"], d["generation"])

    def markdown(self) -> str:
        def marks(line: Line) -> str:
            return "" if line.inline else "".join(f"[{n}]" for n in line.citations)

        n = len({c.article_id for c in self.citations})
        out = [f"# {self.title}", "",
               f"_Every sentence below is taken from the articles ({n} of them cited) and carries its source; "
               f"{len(self.citations)} quoted spans, model {self.model}._", ""]
        for s in self.sections:
            out += [f"## {s.title}", ""] + [f"- {l.text} {marks(l)}".rstrip() for l in s.lines] + [""]
        if self.glossary:
            out += ["## Glossary", ""]
            out += [f"- **{t}**: {l.text} {marks(l)}" if l else f"- **{t}**: the articles do not explain this term." for t, l in self.glossary]
            out.append("")
        out += ["## Sources", ""]
        for c in self.citations:
            who = ", ".join(x for x in (c.outlet, c.author, c.date) if x)
            out.append(f"[{c.n}] {c.title} ({who}): “{' '.join(c.quote.split())}”")
        return "\n".join(out) + "\n"


class Briefer:
    def __init__(self, bot: Bot):
        self.bot = bot
        self.spec = plan(bot.settings)
        # Strict: a sentence the verifier cannot support is dropped, never shown uncited.
        self.citer = Citer(bot.articles, bot.settings.support_floor, strict=True, citable=lambda t: not is_instruction(t),
                           vectors=bot.sentence_vectors)
        self.said: set[frozenset[str]] = set()  # word sets of the sentences kept so far
        self.quoted: list[tuple[str, int, int]] = []  # (article id, start, end) of quoted sentences
        # Each section's planned topics as MiniLM vectors: where a written line belongs.
        self.plans = {spec["title"]: embed(spec["queries"]) for spec in self.spec["sections"]}

    def _passages(self, queries: list[str]) -> list[Passage]:
        seen, out = set(), []
        per_query = max(2, MAX_PASSAGES // len(queries) + 1)
        for q in queries:
            for p in self.bot.retriever.retrieve(q, top_k=per_query).passages:
                if p.node_id not in seen:
                    seen.add(p.node_id)
                    out.append(p)
        # As in answers: planted instructions in article text are neither shown nor citable.
        return [replace(p, text=without_instructions(p.text)) for p in out[:MAX_PASSAGES]]

    @staticmethod
    def _vector(text: str) -> np.ndarray:
        """A line's quoted words as a MiniLM vector (the outlet prefix and markers left out)."""
        return embed([" ".join(re.findall(r"“(.+?)”\s*\[\d+\]", text)) or text])[0]

    def _belongs(self, title: str, text: str) -> bool:
        """A written line stays in its section unless another section plans its topic more
        closely: the model, given passages that also touch other sections, wrote "Russia and the
        CSTO" lines about China's own peacekeeping (cosine 0.33-0.40 to that section's topics,
        0.40-0.51 to China's)."""
        v = self._vector(text)
        fit = {t: float(np.max(plan @ v)) for t, plan in self.plans.items()}
        return fit.get(title, 0.0) >= max(fit.values())

    def _in_plan_order(self, title: str, lines: list[Line]) -> list[Line]:
        """A section whose planned topics are a sequence (`ordered: true`, the timeline) shows its
        lines in that order: each goes to the topic it is closest to. Written lines, entity
        introductions and topic quotes are otherwise appended in that order, and "the last
        Russian troops returned" had come before the CSTO request."""
        plan = self.plans[title]
        return sorted(lines, key=lambda line: int(np.argmax(plan @ self._vector(line.text))))  # stable on ties

    def _write(self, title: str, instruction: str, queries: list[str]) -> list[Line]:
        passages = self._passages(queries)
        self.citer.set_passages(passages)
        _, llm, _ = self.bot.backend
        messages = [
            ChatMessage(role=MessageRole.SYSTEM, content=self.bot.settings.prompt("system").strip()),
            ChatMessage(role=MessageRole.USER, content=f"Source excerpts:\n{format_sources(passages)}\n\n{instruction.strip()}"),
        ]
        return self._lines(title, llm.chat(messages, max_tokens=SECTION_TOKENS).message.content or "")

    def _lines(self, title: str, text: str) -> list[Line]:
        """The lines kept of what the model wrote for a section (over the passages now set)."""
        lines = []
        for event in cite_stream(iter([text]), self.citer):
            if len(lines) == MAX_LINES:
                # Stop here, not cut afterwards: a line over the limit would leave its sentences
                # marked as quoted and its words as said, kept from the sections after it.
                break
            if isinstance(event, Sentence) and event.sentence.supported:
                s = event.sentence
                # A fragment cut off by the token limit is not a claim, however well it matches.
                if not ends_sentence(s.text):
                    continue
                if self.bot.settings.answer_style != "quotes":
                    if not self._said_before(s.text):
                        lines.append(Line(s.text, s.citations))
                # As in answers: the reader gets the sentences the model's line cites, verbatim
                # (a line had read "some critics argue that this initiative may be used by Beijing
                # …" from a sentence saying Kazakhstan is more critical of Beijing's ambitions).
                elif quoted := in_their_words(s, self.citer, self.bot.articles, taken := list(self.quoted), stand_alone=True):
                    # its markers: the sentences quoted, and an antecedent quoted before one; a line
                    # left out for another section leaves its sentences and its words free for that
                    # section (the second corpus's river-gauge record, written under the timeline,
                    # had kept the figures section from quoting it)
                    if self._belongs(title, quoted.text) and not self._said_before(s.text):
                        self.quoted[:] = taken
                        lines.append(Line(quoted.text, quote_markers(quoted.text), inline=True))
        return lines

    def _people(self, lines: list[Line], entities: list[dict]) -> list[Line]:
        """A line for each person the articles introduce with a role (bot/people.py), most
        mentioned first, unless a line of the section already states their role or the plan
        introduces them as an entity. The sentence may be quoted elsewhere in the briefing too,
        so it is not marked as quoted: here it tells who the person is, and a later section may
        need it for what the person did or said."""
        out = []
        found = people.who_is_who(self.bot.articles, usable=lambda text: not refers_back(text))
        # Someone introduced only in a sentence pointing back ("This has led analysts such as
        # Sergey Radchenko, an expert on …") comes last, that sentence after the one it points to.
        found += [i for i in people.who_is_who(self.bot.articles, usable=refers_back)
                  if not any(people.same_person(i.name, f.name) for f in found)]
        for intro in found:
            names = [intro.name]
            if any(people.introduces(line.text, names) for line in lines + out) or \
                    any(people.key(intro.name) in words(" ".join([e["term"], *e.get("match", [])])) for e in entities):
                continue
            if spans := self._readable(intro.article_id, intro.start, intro.end):
                text = self.bot.articles[intro.article_id].text
                ns = [self.citer.cite_span(intro.article_id, s, e) for s, e in spans]
                said = " ".join(quote(text[s:e], n) for (s, e), n in zip(spans, ns))
                out.append(Line(f"{intro.name}: {said}", ns, inline=True, entry=True))
        return out

    def _readable(self, article_id: str, start: int, end: int) -> list[tuple[int, int]] | None:
        """The spans to quote so that the sentence at start:end reads on its own: it alone, or
        the sentence it points back to ("This was …", "He …") and it; None when what it points
        to is no sentence (a heading) or points back too far."""
        text = self.bot.articles[article_id].text
        spans = [(start, end)]
        # What it points to may point back in turn ("His predecessor, …" after "Although he took
        # over the presidency …"): up to two sentences before it. A sentence of a few words
        # reads on from the one before it as much as "He …" does: "China is not a member."
        while refers_back(part := text[spans[0][0]:spans[0][1]]) or len(re.findall(r"\w+", part)) <= SHORT_WORDS:
            before = previous_sentence(text, spans[0][0])
            if before is None or len(spans) == 3:
                return None
            spans.insert(0, before)
        return spans

    def _said_before(self, text: str) -> bool:
        """A fact is stated once in the whole briefing: a sentence 80% of whose words an earlier
        one holds ("However, Beijing also worries…" after "Beijing also worries…", a caption
        repeating a sentence's first half) is a repeat. A longer one that goes on where an
        earlier one stopped is not: the caption "Chinese companies account for around 17% of
        the oil extracted from Kazakhstan." had kept out "…, compared to 3% by Russian companies
        and 30% by US companies, …"."""
        mine = frozenset(re.findall(r"\w+", text.lower()))
        if any(len(mine & other) >= 0.8 * len(mine) for other in self.said):
            return True
        self.said.add(mine)
        return False

    def _quote_for(self, term: dict, glossary: bool = False, role: bool = False) -> Line | None:
        """The article sentence that best explains a term, quoted as is. For an entity of a
        section: not a sentence quoted already (see `build` for the sections after it; the
        CSTO's introduction had taken the Russia section's "… made up almost entirely of
        Russian troops"). For the glossary, which stands on its own: any sentence, one that
        says what the term is preferred."""
        span = best_quote(term, self.bot.articles, exclude=frozenset() if glossary else self.quoted, introduce=True,
                          define=glossary, role=role)
        return None if span is None else self._quoted(span)

    def _quote_for_topic(self, query: str, lines: list[Line]) -> Line | None:
        """The article sentence closest to one of a section's planned topics (its `queries`),
        quoted with its outlet; None when it is quoted already, repeats a line or goes on in one
        of the section's `lines`."""
        span = closest_sentence(query, self.bot.articles)
        if span is None or span in self.quoted or self._said_before(self.bot.articles[span[0]].text[span[1]:span[2]]):
            return None
        aid, text = span[0], self.bot.articles[span[0]].text
        spans = self._readable(*span) or [span[1:]]
        # What it points back to may stand in a line of this section already ("Although he took
        # over …" after "… President Tokayev himself."): it goes on in that line, right after
        # that sentence, rather than in a new line repeating it.
        if len(spans) > 1:
            leads = [self.citer.cite_span(aid, s, e) for s, e in spans[:-1]]
            anchor = quote(text[spans[-2][0]:spans[-2][1]], leads[-1])
            for line in lines:
                if line.inline and set(leads) <= set(line.citations) and anchor in line.text:
                    new = self._quoted((aid, *spans[-1]))
                    line.text = line.text.replace(anchor, f"{anchor} {new.text}", 1)
                    line.citations = quote_markers(line.text)
                    return None
        # "This was …" comes after what it points to (see closest_sentence), quoted with it even
        # when an earlier line quotes it too: a line stands on its own.
        quoted = [self._quoted((aid, s, e)) for s, e in spans]
        prefix = f"{self.bot.articles[span[0]].outlet}: "
        return Line(prefix + " ".join(q.text for q in quoted), [n for q in quoted for n in q.citations], inline=True)

    def _quoted(self, span: tuple[str, int, int], prefix: str = "") -> Line:
        """A line quoting one article sentence, cited and remembered as quoted."""
        self.quoted.append(span)
        n = self.citer.cite_span(*span)
        aid, s, e = span
        return Line(prefix + quote(self.bot.articles[aid].text[s:e], n), [n], inline=True)

    def disputed(self) -> Section:
        section = Section(self.spec["disputed_title"])
        for conflict in all_conflicts(self.bot.articles, self.bot.settings.contested_path):
            text, ns = quote_sides(conflict, self.citer.cite_span, articles=self.bot.articles)
            section.lines.append(Line(f"On {conflict.topic}: {text}", ns, inline=True))
        return section

    def build(self, glossary: bool = True, progress=None) -> Briefing:
        lexicon.use(self.bot.lexicon)  # the checks read this corpus's names (see bot/lexicon.py)
        sections = []
        for spec in self.spec["sections"]:
            if progress:
                progress(spec["title"])
            task = self.spec["instruction"].format(title=spec["title"], task=spec["task"])
            lines = self._write(spec["title"], task, spec["queries"])
            # Whoever the written lines leave out is introduced by a quoted article sentence. It
            # is not quoted again in this section, and is free again for the later ones.
            introduced = len(self.quoted)
            for entity in spec.get("entities", []):
                named = any(m.lower() in line.text.lower() for line in lines for m in entity["match"])
                if spec.get("people"):  # in a who-is-who, named in passing ("Apart from Putin, …") is not introduced
                    names = [entity["term"], *entity["match"]]
                    named = any(people.introduces(line.text, names) or definition(line.text, names) for line in lines)
                if not named and (quote := self._quote_for(entity, role=bool(spec.get("people")))):
                    lines.append(Line(f"{entity['term']}: {quote.text}", quote.citations, inline=True, entry=True))
            introductions = self.quoted[introduced:]
            # A "who is who" section (`people: true`) introduces everyone else the articles give a
            # role, each by the sentence that states it.
            if spec.get("people"):
                lines += self._people(lines, spec.get("entities", []))
            # A planned topic the lines leave out gets its closest article sentence, quoted: the
            # model's lines for "How China responded" had all failed the verifier, and the
            # section was empty while the articles state Xi's message and Wang Yi's offer.
            # Every planned topic gets its line: a plan that lists twelve events in the timeline
            # had been cut at six, and the model's lines, on topics or not, had used up the
            # Russia section's room before its last topic (Russia's role as security guarantor).
            for query in spec["queries"]:
                if line := self._quote_for_topic(query, lines):
                    lines.append(line)
            lines = _without_superseded(lines)
            if spec.get("ordered"):
                lines = self._in_plan_order(spec["title"], lines)
            sections.append(Section(spec["title"], lines))
            self.quoted[:] = [q for q in self.quoted if q not in introductions]
        if (disputed := self.disputed()).lines:  # a corpus without contested.yaml has no such section
            sections.append(disputed)
        terms = []
        for t in self.bot.terms if glossary else []:
            if progress:
                progress(f"glossary: {t['term']}")
            # Quoted, not written: the model's definitions passed the verifier yet were often
            # wrong ("a government body … established to combat terrorism").
            terms.append((t["term"], self._quote_for(t, glossary=True)))
        _, _, model = self.bot.backend
        citations = _renumber(sections, terms, self.citer.all_citations())
        return Briefing(self.spec["title"], sections, terms, citations, model, self.bot.retriever.generation)


def _without_superseded(lines: list[Line]) -> list[Line]:
    """A line quoting one sentence whose words another one-sentence line of the section nearly
    all holds, and goes on from, says nothing of its own: the caption "Chinese companies account
    for around 17% of the oil extracted from Kazakhstan." beside the sentence that goes on
    "…, compared to 3% by Russian companies and 30% by US companies, …"."""
    said = [re.findall(r"“([^”]+)”", l.text) for l in lines]
    sets = [frozenset(re.findall(r"\w+", q[0].lower())) if len(q) == 1 else None for q in said]
    # So is one that a line of several sentences quotes whole: "The predecessor Nazarbayev
    # retained control …" beside the line that quotes it to say who "He continued …" is. An
    # entry ("Vladimir Putin: …") is kept: it says whom it is about.
    within = {q for qs in said if len(qs) > 1 for q in qs}
    return [l for l, mine, qs in zip(lines, sets, said)
            if mine is None or not ((qs[0] in within and not l.entry) or any(other is not None and len(other) > len(mine)
                                                           and len(mine & other) >= 0.8 * len(mine) for other in sets))]


def _renumber(sections: list[Section], terms: list, citations: list[Citation]) -> list[Citation]:
    """Number the sources 1, 2, 3… in reading order, keeping only those a kept line cites
    (sentences dropped as repeats or over a section's limit were numbered when they were checked)."""
    lines = [l for s in sections for l in s.lines] + [l for _, l in terms if l]
    order = list(dict.fromkeys(n for l in lines for n in l.citations))
    new = {old: i for i, old in enumerate(order, 1)}
    for l in lines:
        l.citations = [new[n] for n in l.citations]
        if l.inline:
            l.text = re.sub(r"\[(\d+)\]", lambda m: f"[{new.get(int(m[1]), m[1])}]", l.text)
    by_n = {c.n: c for c in citations}
    return [replace(by_n[old], n=i) for old, i in new.items()]


def plan(settings) -> dict:
    """How to write (prompts/brief.yaml) and what to cover: the corpus's own plan
    (corpus/briefing.yaml) or, without one, the generic plan on the profile's subject."""
    spec = yaml.safe_load((settings.prompts_dir / "brief.yaml").read_text(encoding="utf-8"))
    corpus_plan = settings.briefing_plan()
    if corpus_plan is None:
        subject = settings.subject()
        fill = lambda v: v.replace("{subject}", subject) if isinstance(v, str) else v  # noqa: E731
        default = spec["default_plan"]
        corpus_plan = {"title": fill(default["title"]),
                       "sections": [{k: [fill(q) for q in v] if k == "queries" else fill(v) for k, v in sec.items()}
                                    for sec in default["sections"]]}
    return {**spec, "title": corpus_plan.get("title") or f"Briefing: {settings.subject()}", "sections": corpus_plan["sections"]}


def cache_path(bot: Bot) -> Path:
    """Keyed by index generation, model, the prompt and plan files and the code: any change builds anew."""
    s = bot.settings
    h = hashlib.sha256()
    h.update(s.prompt("system").encode())  # as rendered, the corpus profile's subject filled in
    h.update((s.prompts_dir / "brief.yaml").read_bytes())
    for path in (s.corpus_dir / "briefing.yaml", s.corpus_dir / "glossary.yaml", s.contested_path):  # its plan, terms, disputes
        h.update(path.read_bytes() if path.exists() else b"")
    # how the briefing is built: the whole package, since the verifier, quotes, glossary and
    # people modules shape it as much as this file (hashing this file alone kept a stale briefing)
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        h.update(path.read_bytes())
    h.update(bot.backend[2].encode())
    return s.index_dir / f"brief-{bot.retriever.generation}-{h.hexdigest()[:12]}.json"


def prune_cache(folder: Path) -> None:
    """Keep the newest BRIEFINGS_KEPT cached briefings: every code, plan or index change writes a
    new one, and the old ones are never read again (a folder had gathered 38 of them)."""
    for path in keep_newest(folder, "brief-*.json", BRIEFINGS_KEPT):
        path.with_suffix(".lock").unlink(missing_ok=True)


def _cached(path: Path) -> Briefing | None:
    try:
        return Briefing.from_json(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None
    except (ValueError, KeyError, TypeError):
        return None  # an unreadable cache is rebuilt


def briefing(bot: Bot, refresh: bool = False, progress=None) -> Briefing:
    path = cache_path(bot)
    if not refresh and (done := _cached(path)):
        return done
    # One build at a time (two "Brief me" clicks, a `bot brief` beside the UI): whoever waited
    # for the lock takes the briefing the first one cached instead of building it again.
    try:
        lock = open(path.with_suffix(".lock"), "w")
    except OSError:
        return _build(bot, path, progress)  # a read-only index folder: build, uncached
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not refresh and (done := _cached(path)):
            return done
        return _build(bot, path, progress)


def _build(bot: Bot, path: Path, progress) -> Briefing:
    result = Briefer(bot).build(progress=progress)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    try:
        tmp.write_text(json.dumps(result.to_json(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
        prune_cache(path.parent)
    except OSError:
        tmp.unlink(missing_ok=True)  # a briefing that cannot be cached is still returned
    return result
