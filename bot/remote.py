"""`bot ask` answered by a running `bot serve`, whose model is already loaded and warm.

A cold `bot ask` spends seconds loading the model and reading the fixed system prompt before it
can start on the question, and a second llama.cpp next to the server's thrashes two cores
(32-55 s per answer instead of 7, measured). So `bot serve` announces itself in a small file in
the index folder, and `bot ask` sends its question there when a live server was started with
the same answer settings. Both sides print through bot/terminal.py, so the text is the same.
The transport is Gradio's own API (an endpoint made with `gr.api`, called by `gradio_client`),
which needs no second web server; the queue keeps it one generation at a time with the UI.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Iterator

from .errors import exit_code
from .settings import Settings

ENDPOINT = "/ask_cli"
# Fields that do not change an answer: where the UI listens, who may use it, how many at once.
NOT_ANSWER_SETTINGS = {"host", "port", "auth", "concurrency"}


def settings_key(settings: Settings) -> str:
    """A digest of every setting that can change an answer: the server answers only for equal keys."""
    dump = settings.model_dump(mode="json", exclude=NOT_ANSWER_SETTINGS)
    return hashlib.sha256(json.dumps(dump, sort_keys=True).encode()).hexdigest()[:16]


def _server_file(settings: Settings) -> Path:
    return settings.index_dir / "serve.json"


def announce(settings: Settings, url: str) -> None:
    """Written by `bot serve` once it listens; `withdraw` removes it when the server stops."""
    path = _server_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": url, "pid": os.getpid(), "key": settings_key(settings)}), encoding="utf-8")


def withdraw(settings: Settings) -> None:
    path = _server_file(settings)
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def _alive(pid: object) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return False
    return True


def find(settings: Settings) -> str | None:
    """The URL of a live `bot serve` with this project's index and the same answer settings."""
    try:
        info = json.loads(_server_file(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not _alive(info.get("pid")) or info.get("key") != settings_key(settings):
        return None  # a server killed without cleaning up, or one answering with other settings
    url = str(info.get("url") or "")
    return url or None


def endpoint(bot) -> Callable[[str, bool, str], Iterator[str]]:
    """The server's side: the terminal text so far, as JSON {"out", "err"}, after every piece.

    Cumulative rather than piece by piece, so an update the transport merges loses nothing."""
    from .terminal import OUT, answer_text

    def ask_cli(question: str, as_json: bool, key: str) -> Iterator[str]:
        if key != settings_key(bot.settings):
            yield json.dumps({"mismatch": True})
            return
        text = {"out": "", "err": ""}
        try:
            for stream, piece in answer_text(bot, question, as_json):
                text["out" if stream == OUT else "err"] += piece
                yield json.dumps(text)
        except Exception as e:
            code = exit_code(e)
            if code is None:
                raise
            yield json.dumps({**text, "error": str(e), "code": code})  # said in words, as locally

    return ask_cli


class RemoteError(Exception):
    """The server's answer failed with one of the project's own errors: its message and exit code."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def ask(url: str, settings: Settings, question: str, as_json: bool, write: Callable[[str, str], None]) -> bool:
    """The client's side: print the server's answer as it streams. False when the server could not
    answer (gone, refused the settings, asks for a password): the caller then answers locally.

    An error inside the answer (bad input, the model or the store failing) arrives as a
    RemoteError with the message and exit code a local answer would have given."""
    from gradio_client import Client

    user, _, password = (settings.auth or "").partition(":")
    try:
        client = Client(url, auth=(user, password) if password else None, verbose=False,
                        download_files=False, analytics_enabled=False)
        job = client.submit(question, as_json, settings_key(settings), api_name=ENDPOINT)
    except Exception:  # not reachable, not our server, or auth refused: answer locally
        return False
    shown = {"out": 0, "err": 0}

    def show(update: str) -> bool:
        text = json.loads(update)
        if text.get("mismatch"):
            return False
        for stream in ("out", "err"):
            write(stream, text[stream][shown[stream]:])
            shown[stream] = len(text[stream])
        if "error" in text:
            raise RemoteError(text["error"], int(text.get("code") or 3))
        return True

    started = False
    for update in job:
        if not show(update):
            return False
        started = True
    try:
        final = job.result()
    except Exception as e:
        if not started:
            return False
        raise RemoteError(f"the running `bot serve` at {url} stopped answering ({e}); try `bot ask --local`", 3) from None
    return show(final) if final is not None else started
