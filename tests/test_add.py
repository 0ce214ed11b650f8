"""A user adds an article: `bot add FILE` (or a Markdown file dropped into corpus/) with only id,
title and outlet required; a bad file gets one line naming the field, and nothing is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BOT = str(Path(sys.executable).with_name("bot"))

NOTE = """---
id: aral-note
title: Water levels in the Aral Sea
outlet: Field Notes
---
The northern Aral Sea has risen since the Kok-Aral dam was finished in 2005,
and fishermen in Aralsk report larger catches of pike-perch.

Local officials expect the water to reach the old harbour within a decade.
"""


def cli(settings, *args):
    env = {**os.environ, "BOT_CORPUS_DIR": str(settings.corpus_dir), "BOT_INDEX_DIR": str(settings.index_dir)}
    return subprocess.run([BOT, *args], capture_output=True, text=True, timeout=600, env=env)


def test_add_copies_indexes_and_refuses_a_second_copy(scratch, tmp_path):
    from bot.corpus import load_corpus

    src = tmp_path / "note.md"
    src.write_text(NOTE, encoding="utf-8")
    assert cli(scratch, "index", "--quiet").returncode == 0
    p = cli(scratch, "add", "--quiet", str(src))
    assert p.returncode == 0, p.stderr
    assert "added aral-note" in p.stdout and "6 articles" in p.stdout and "1 article(s) (re)embedded" in p.stdout
    added = {a.id: a for a in load_corpus(scratch.corpus_dir)}["aral-note"]
    assert added.text.startswith("The northern Aral Sea has risen since the Kok-Aral dam was finished in 2005, and fishermen")

    p = cli(scratch, "add", str(src))
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "already" in p.stderr and "--replace" in p.stderr
    src.write_text(NOTE.replace("a decade", "five years"), encoding="utf-8")
    p = cli(scratch, "add", "--quiet", "--replace", str(src))
    assert p.returncode == 0 and "1 article(s) (re)embedded" in p.stdout, p.stderr
    assert len(list(scratch.corpus_dir.glob("aral-note*.md"))) == 1


def test_a_bad_file_gets_one_line_naming_the_field_and_nothing_is_written(scratch, tmp_path):
    from click.testing import CliRunner

    from bot.cli import main

    def cli(settings, *args):  # in-process (the end-to-end test above runs the real command)
        env = {"BOT_CORPUS_DIR": str(settings.corpus_dir), "BOT_INDEX_DIR": str(settings.index_dir)}
        return CliRunner().invoke(main, list(args), env=env)

    before = sorted(p.name for p in scratch.corpus_dir.iterdir())
    for broken, field in ((NOTE.replace("outlet: Field Notes\n", ""), "outlet"),
                          (NOTE.replace("title: Water levels in the Aral Sea", "title: ''"), "title"),
                          (NOTE.replace("id: aral-note", "id: Aral Note!"), "'id'"),
                          (NOTE.replace("---\nid", "---\ndate: next week\nid"), "date")):
        src = tmp_path / "bad.md"
        src.write_text(broken, encoding="utf-8")
        p = cli(scratch, "add", str(src))
        assert p.exit_code == 2 and field in p.stderr and "bad.md" in p.stderr, p.stderr
        assert p.stderr.count("\n") == 1 and isinstance(p.exception, SystemExit)  # a clean exit, no traceback
    p = cli(scratch, "add", str(tmp_path / "missing.md"))
    assert p.exit_code == 2 and "missing.md" in p.stderr
    assert sorted(p.name for p in scratch.corpus_dir.iterdir()) == before
