"""The project's own error types as exit codes: 2 for bad input, 3 when a part is unavailable.

Shared by the command line and by `bot serve` answering for it (bot/remote.py), so an error
reaches the user with the same words and code either way."""

from __future__ import annotations

import sys

from .settings import SettingsError

# Looked up only once something failed: importing them up front (bot.app above all) made every
# command wait for the whole pipeline's imports before it began, and `bot ask` could not start
# loading the model first.
_ERRORS = {2: (("app", "BadInput"), ("corpus", "CorpusError")),
           3: (("llm", "LLMError"), ("store", "StoreError"), ("model_file", "ModelFileError"))}


def exit_code(e: Exception) -> int | None:
    """2 or 3 for one of the project's errors, None for anything else (raised as it is)."""
    if isinstance(e, SettingsError):
        return 2
    for code, names in _ERRORS.items():
        for module, name in names:
            loaded = sys.modules.get(f"{__package__}.{module}")  # a module never imported raised nothing
            if loaded is not None and isinstance(e, getattr(loaded, name)):
                return code
    return None
