"""Tests for the cleaned corpus and its loader.

The central guarantee is that every body sentence is verbatim from a raw capture
in ``shared/seeds``, so the bot can never cite text that a source does not contain.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from bot.corpus import Article, CorpusError, load_article, load_corpus

ROOT = Path(__file__).parents[1]
CORPUS_DIR = ROOT / "corpus"
def _seeds_dir() -> Path:
    """BOT_SEEDS_DIR, else shared/seeds beside the checkout (as in CI), else beside the
    repository this one was cloned from (a scratch clone in /tmp has no shared/ beside it)."""
    if os.environ.get("BOT_SEEDS_DIR"):
        return Path(os.environ["BOT_SEEDS_DIR"])
    candidates = [ROOT.parent / "shared" / "seeds"]
    origin = subprocess.run(["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"], capture_output=True, text=True).stdout.strip()
    if origin and "://" not in origin and ":" not in origin.split("/")[0]:
        candidates.append(Path(origin).resolve().parent / "shared" / "seeds")
    return next((c for c in candidates if c.is_dir()), candidates[0])


SEEDS_DIR = _seeds_dir()

EXPECTED = {
    "ispi-sciorati": dict(
        title="Why Kazakhstan's Crisis Matters to China", outlet="ISPI", author="Giulia Sciorati",
        date="2022-01-11", url=None, seeds=("000_63010e603bda08fa.txt", "003_460d591629f0a55e.txt")),
    "chinausfocus-beijing-problem": dict(
        title="China in Post-Kazakhstan Central Asia: “Beijing, We Have a Problem!”", outlet="China-US Focus",
        author=None, date="2022-02-08",
        url="https://www.chinausfocus.com/foreign-policy/china-in-post-kazakhstan-central-asia-beijing-we-have-a-problem",
        seeds=("001_8ff95d7a3a89f6fa.txt",)),
    "wsj-beijing-watches": dict(
        title="Beijing watches civil unrest in Kazakhstan cautiously", outlet="The Wall Street Journal",
        author="Chao Deng", date=None, url=None, seeds=("002_c789b56ee0b57896.txt",)),
    "spectator-pike": dict(
        title="Was the Kazakhstan uprising an attempted Jihadi takeover?", outlet="The Spectator",
        author="Francis Pike", date="2022-01-11", url=None, seeds=("003_460d591629f0a55e.txt",)),
    "ft-beijing-reluctance": dict(
        title="Kazakhstan crisis challenges Beijing’s reluctance to interfere abroad", outlet="Financial Times",
        author=None, date=None, url=None, seeds=("004_cedd232fb43533ce.txt",)),
}

BOILERPLATE = ("Salta al contenuto", "Ti potrebbero interessare", "You might also like", "Back to Top",
               "Comments are closed", "No comments", "Copyright", "Today Headlines", "WRITTEN BY")

KEY_CONTENT = {
    "ispi-sciorati": ("恐怖分子", "维和", "[1]"),
    "spectator-pike": ("Some 164 civilians were killed",),
    "wsj-beijing-watches": ("160 people have died",),
    "chinausfocus-beijing-problem": ("liquefied petroleum gas price hike",),
    "ft-beijing-reluctance": ("Yang Shu",),
}

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def squash(text: str) -> str:
    """Collapse every whitespace run (incl. no-break and thin spaces) to one space."""
    return re.sub(r"\s+", " ", text).strip()


def paragraphs(article: Article) -> list[str]:
    return article.text.split("\n\n")


@pytest.fixture(scope="module")
def corpus() -> dict[str, Article]:
    return {a.id: a for a in load_corpus(CORPUS_DIR)}


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    if not SEEDS_DIR.is_dir():
        pytest.fail(f"seed captures not found at {SEEDS_DIR} (set BOT_SEEDS_DIR)")
    found = {p.name: squash(p.read_text(encoding="utf-8")) for p in sorted(SEEDS_DIR.glob("*.txt"))}
    assert found, f"no *.txt seed captures in {SEEDS_DIR}"
    return found


def test_exactly_the_five_articles_sorted_by_id(corpus):
    assert list(corpus) == sorted(EXPECTED)


@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_metadata(corpus, article_id):
    article, want = corpus[article_id], EXPECTED[article_id]
    for field, value in want.items():
        assert getattr(article, field) == value, f"{article_id}.{field}"
    meta = article.metadata()
    assert set(meta) == {"id", "title", "outlet", "author", "date", "url", "seeds"}
    assert all(isinstance(v, str) for v in meta.values())
    assert meta["seeds"] == ", ".join(want["seeds"])
    assert meta["author"] == (want["author"] or "") and meta["url"] == (want["url"] or "")
    assert re.fullmatch(r"[0-9a-f]{64}", article.content_hash)


@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_every_sentence_is_verbatim_in_a_seed(corpus, seeds, article_id):
    for paragraph in paragraphs(corpus[article_id]):
        for sentence in _SENTENCE_END.split(squash(paragraph)):
            assert any(sentence in text for text in seeds.values()), (
                f"{article_id}: sentence not found verbatim in any seed: {sentence!r}")


@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_every_listed_seed_holds_a_paragraph(corpus, seeds, article_id):
    article = corpus[article_id]
    for seed in article.seeds:
        assert seed in seeds, f"{article_id}: listed seed {seed} does not exist in {SEEDS_DIR}"
        assert any(squash(p) in seeds[seed] for p in paragraphs(article)), (
            f"{article_id}: none of its paragraphs occurs in listed seed {seed}")


@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_paragraph_format(corpus, article_id):
    for paragraph in paragraphs(corpus[article_id]):
        assert paragraph and paragraph == paragraph.strip() and "\n" not in paragraph, (
            f"{article_id}: malformed paragraph {paragraph!r}")


@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_no_boilerplate_or_title_in_body(corpus, article_id):
    article = corpus[article_id]
    for phrase in BOILERPLATE:
        assert phrase not in article.text, f"{article_id}: boilerplate {phrase!r} leaked into the body"
    title_paragraphs = [p for p in paragraphs(article) if squash(p) == squash(article.title)]
    assert not title_paragraphs, f"{article_id}: the title appears {len(title_paragraphs)} time(s) as a paragraph"


@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_no_repeated_paragraphs(corpus, article_id):
    seen = [squash(p) for p in paragraphs(corpus[article_id])]
    repeated = {p for p in seen if seen.count(p) > 1}
    assert not repeated, f"{article_id}: repeated paragraph(s): {sorted(repeated)}"


def test_ispi_stored_once(corpus):
    ispi = {squash(p) for p in paragraphs(corpus["ispi-sciorati"])}
    for other_id, other in corpus.items():
        if other_id == "ispi-sciorati":
            continue
        shared = ispi & {squash(p) for p in paragraphs(other)}
        assert len(shared) < 3, f"{other_id} shares {len(shared)} paragraphs with ispi-sciorati"


def test_spectator_and_ispi_are_separated(corpus, seeds):
    ispi = {squash(p) for p in paragraphs(corpus["ispi-sciorati"])}
    spectator = {squash(p) for p in paragraphs(corpus["spectator-pike"])}
    assert not ispi & spectator
    # Both came out of the same repost, so check sentences too, not only whole paragraphs.
    ispi_text, spectator_text = squash(corpus["ispi-sciorati"].text), squash(corpus["spectator-pike"].text)
    assert not [p for p in spectator if p in ispi_text]
    assert not [p for p in ispi if p in spectator_text]
    assert "Giulia Sciorati" not in spectator_text and "Francis Pike" not in ispi_text


@pytest.mark.parametrize("article_id", sorted(KEY_CONTENT))
def test_key_content_kept(corpus, article_id):
    for needle in KEY_CONTENT[article_id]:
        assert needle in corpus[article_id].text, f"{article_id}: lost key content {needle!r}"


def test_spectator_pull_quote_kept_once_in_body(corpus):
    text = corpus["spectator-pike"].text
    quote = "The Kremlin and Tokayev have accused ‘terrorists’ of acting with unspecified foreign agents"
    assert text.count(quote) == 1
    assert f"{quote}. The US has largely assumed" in text


def test_content_hash_tracks_text_and_metadata(corpus):
    article = corpus["ft-beijing-reluctance"]
    assert article.content_hash == Article(**{f: getattr(article, f) for f in article.__dataclass_fields__}).content_hash
    for change in ({"text": article.text + " x"}, {"title": article.title + " x"}, {"date": "2022-01-20"}):
        edited = Article(**{**{f: getattr(article, f) for f in article.__dataclass_fields__}, **change})
        assert edited.content_hash != article.content_hash, change


GOOD_FRONT = "---\nid: sample\ntitle: Sample\noutlet: Somewhere\nseeds: [x.txt]\n---\n"


@pytest.mark.parametrize("content, reason", [
    ("no front matter here\n\nA paragraph.\n", "front matter"),
    ("---\nid: sample\ntitle: [unclosed\n---\nA paragraph.\n", "YAML"),
    ("---\n- just\n- a list\n---\nA paragraph.\n", "mapping"),
    ("---\nid: sample\noutlet: Somewhere\nseeds: [x.txt]\n---\nA paragraph.\n", "title"),
    ("---\ntitle: Sample\noutlet: Somewhere\nseeds: [x.txt]\n---\nA paragraph.\n", "id"),
    ("---\nid: sample\ntitle: ''\noutlet: Somewhere\nseeds: [x.txt]\n---\nA paragraph.\n", "title"),
    (GOOD_FRONT, "empty body"),
    (GOOD_FRONT + "\n   \n\n", "empty body"),
    (GOOD_FRONT.replace("seeds: [x.txt]", "seeds: x.txt") + "A paragraph.\n", "seeds"),
    (GOOD_FRONT.replace("id: sample", "id: My Article") + "A paragraph.\n", "'id'"),
    (GOOD_FRONT.replace("---\n", "---\ndate: 11 Jan 2022\n", 1) + "A paragraph.\n", "date"),
    (GOOD_FRONT.replace("---\n", "---\nauthr: Someone\n", 1) + "A paragraph.\n", "authr"),
])
def test_load_article_errors_name_the_file(tmp_path, content, reason):
    path = tmp_path / "broken.md"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError) as excinfo:
        load_article(path)
    assert "broken.md" in str(excinfo.value) and reason in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)


def test_load_article_minimal_file(tmp_path):
    path = tmp_path / "sample.md"
    path.write_text(GOOD_FRONT + "First.\n\n\nSecond.  \n", encoding="utf-8")
    article = load_article(path)
    assert (article.id, article.author, article.date, article.url, article.notes) == ("sample", None, None, None, None)
    assert article.seeds == ("x.txt",) and article.text == "First.\n\nSecond."


def test_a_users_article_needs_only_id_title_and_outlet(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("---\nid: my-note\ntitle: A note\noutlet: My blog\n---\nLine one\nwrapped line two.\n\nNext.\n",
                    encoding="utf-8")
    article = load_article(path)
    assert article.seeds == () and article.text == "Line one wrapped line two.\n\nNext."
    assert article.metadata()["seeds"] == ""


def test_load_corpus_rejects_duplicate_ids_and_skips_readme(tmp_path):
    (tmp_path / "README.md").write_text("# not an article\n", encoding="utf-8")
    (tmp_path / "a.md").write_text(GOOD_FRONT + "One.\n", encoding="utf-8")
    assert [a.id for a in load_corpus(tmp_path)] == ["sample"]
    (tmp_path / "b.md").write_text(GOOD_FRONT + "Two.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"b\.md.*duplicate article id 'sample'"):
        load_corpus(tmp_path)


def test_load_corpus_rejects_missing_or_empty_dir(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path / "nope")
    with pytest.raises(CorpusError, match="no articles"):
        load_corpus(tmp_path)


def test_the_system_prompt_names_the_corpus_subject_from_its_profile(tmp_path):
    from bot.settings import ROOT, Settings

    shipped = Settings.load(path=Path("/nonexistent"))
    assert "{subject}" not in shipped.prompt("system") and "Kazakhstan" in shipped.prompt("system")
    assert "Kazakhstan" not in (ROOT / "prompts" / "system.txt").read_text(encoding="utf-8")
    other = Settings.load(path=Path("/nonexistent"), corpus_dir=tmp_path)
    assert other.prompt("system").startswith("You answer questions about the articles provided.")
    (tmp_path / "profile.yaml").write_text("subject: the 2023 floods in Lindau\n", encoding="utf-8")
    assert other.prompt("system").startswith("You answer questions about the 2023 floods in Lindau.")


def test_bench_questions_come_from_the_corpus_profile(tmp_path):
    """`bot bench` times the profile's questions (no corpus in code): bench_questions and
    cold_questions; without them the UI's examples; with neither, a clear settings error."""
    from bot.bench import questions
    from bot.settings import Settings, SettingsError

    timed, cold = questions(Settings(corpus_dir=CORPUS_DIR))
    assert len(timed) >= 5 and len(cold) == 5 and set(cold) <= set(timed)
    (tmp_path / "profile.yaml").write_text("subject: a flood\nexamples:\n  - Where did it flood?\n  - Who warned?\n", encoding="utf-8")
    assert questions(Settings(corpus_dir=tmp_path)) == (["Where did it flood?", "Who warned?"],) * 2
    (tmp_path / "profile.yaml").write_text("subject: a flood\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="bench_questions"):
        questions(Settings(corpus_dir=tmp_path))
