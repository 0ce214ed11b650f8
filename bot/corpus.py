"""Load the cleaned article corpus (``corpus/<id>.md``).

Each file is YAML front matter followed by a body of one-line paragraphs copied
verbatim from the raw captures in ``shared/seeds`` (see ``corpus/README.md``).
Keeping text verbatim is what lets answers cite the sources faithfully.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

_REQUIRED = ("id", "title", "outlet")
# seeds names the raw captures a shipped article was cleaned from (checked by tests/test_corpus.py);
# a user's own article has none. site and author_bio are for human readers, accepted but not loaded.
_OPTIONAL = ("author", "date", "url", "notes", "seeds", "site", "author_bio")
_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)(.*)\Z", re.DOTALL)
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


class CorpusError(ValueError):
    """A corpus file or directory is malformed; the message names the path."""


@dataclass(frozen=True)
class Article:
    """One cleaned article; ``text`` is its body paragraphs joined by a blank line."""

    id: str
    title: str
    outlet: str
    author: str | None
    date: str | None
    url: str | None
    seeds: tuple[str, ...]
    text: str
    notes: str | None = None

    @property
    def content_hash(self) -> str:
        """SHA-256 over text and metadata, so editing either one causes a re-index."""
        payload = json.dumps(dataclasses.asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def metadata(self) -> dict[str, str]:
        """Flat metadata with str values only ("" for None), because vector stores reject None and lists."""
        return {
            "id": self.id,
            "title": self.title,
            "outlet": self.outlet,
            "author": self.author or "",
            "date": self.date or "",
            "url": self.url or "",
            "seeds": ", ".join(self.seeds),
        }


def _text_field(meta: dict, key: str, path: Path, *, required: bool) -> str | None:
    value = meta.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        want = "a non-empty string" if required else "a non-empty string or null"
        raise CorpusError(f"{path}: front matter field {key!r} must be {want}, got {value!r}")
    return value.strip()


def _date_field(value: object, path: Path) -> str | None:
    # YAML turns an unquoted 2022-01-11 into a date; normalise both spellings to ISO text.
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise CorpusError(f"{path}: front matter field 'date' must be an ISO date (YYYY-MM-DD) or null, got {value!r}")


def load_article(path: Path) -> Article:
    """Parse one corpus file, raising CorpusError (naming the file) on any format problem."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read file: {exc}") from exc

    match = _FRONT_MATTER.match(raw)
    if not match:
        raise CorpusError(f"{path}: missing YAML front matter (the file must start with '---' and close it with '---')")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path}: invalid YAML front matter: {exc}") from exc
    if not isinstance(meta, dict):
        raise CorpusError(f"{path}: front matter must be a YAML mapping, got {type(meta).__name__}")

    missing = [key for key in _REQUIRED if key not in meta]
    if missing:
        raise CorpusError(f"{path}: front matter is missing required field(s): {', '.join(missing)}")
    unknown = sorted(str(key) for key in meta if key not in _REQUIRED + _OPTIONAL)
    if unknown:
        raise CorpusError(f"{path}: unknown front matter field(s): {', '.join(unknown)}")

    seeds = meta.get("seeds", [])
    if not isinstance(seeds, list) or not all(isinstance(s, str) and s.strip() for s in seeds):
        raise CorpusError(f"{path}: front matter field 'seeds' must be a list of file names, got {seeds!r}")
    article_id = _text_field(meta, "id", path, required=True)
    if not _ID.fullmatch(article_id):
        raise CorpusError(f"{path}: front matter field 'id' must be lower-case letters, digits, '-', '_' or '.', "
                          f"got {article_id!r}")

    body = (match.group(2) or "").strip()
    if not body:
        raise CorpusError(f"{path}: empty body (no paragraphs after the front matter)")
    # Paragraphs are separated by blank lines; a paragraph wrapped over several lines (as editors
    # and Markdown write them) is one paragraph, its lines joined by a space.
    paragraphs = [" ".join(line.strip() for line in p.strip().splitlines()) for p in _BLANK_LINES.split(body)]

    return Article(
        id=article_id,
        title=_text_field(meta, "title", path, required=True),
        outlet=_text_field(meta, "outlet", path, required=True),
        author=_text_field(meta, "author", path, required=False),
        date=_date_field(meta.get("date"), path),
        url=_text_field(meta, "url", path, required=False),
        seeds=tuple(s.strip() for s in seeds),
        text="\n\n".join(paragraphs),
        notes=_text_field(meta, "notes", path, required=False),
    )


def load_corpus(corpus_dir: Path) -> list[Article]:
    """Load every ``*.md`` except README.md, sorted by id; an empty corpus or a duplicate id is an error."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir}: corpus directory not found")
    articles: dict[str, Article] = {}
    origin: dict[str, Path] = {}
    for path in sorted(corpus_dir.glob("*.md")):
        if path.name == "README.md":
            continue
        article = load_article(path)
        if article.id in articles:
            raise CorpusError(f"{path}: duplicate article id {article.id!r} (also in {origin[article.id]})")
        articles[article.id] = article
        origin[article.id] = path
    if not articles:
        raise CorpusError(f"{corpus_dir}: no articles found (expected *.md files besides README.md)")
    return [articles[key] for key in sorted(articles)]
