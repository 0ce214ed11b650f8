"""The verifier: what the cited article sentences fail to support in an answer sentence.

- `checks`: the registry (`CHECKS`, `verify(claim)`), one small function per check;
- `facts`: numbers, names, posts, polarity, counts;
- `owners`: whose a fact is (members, possessions, subjects, posts, descriptions, speakers);
- `names`: which names stand for which; `verdict`: a restated question; `reasons`: `Finding`.
"""

from .checks import CHECKS, Claim, verify
from .reasons import (
                      NEGATION,
                      NO_NAMED_SUBJECT,
                      NOT_ADDED,
                      OFF_QUESTION,
                      REPEATS,
                      RESTATES_QUESTION,
                      SUBJECT_LEFT_OUT,
                      SUBJECT_LOST,
                      Finding,
)
from .verdict import echoes, is_verdict

__all__ = ["CHECKS", "Claim", "verify", "Finding", "NEGATION", "NO_NAMED_SUBJECT", "NOT_ADDED", "OFF_QUESTION", "REPEATS",
           "RESTATES_QUESTION", "SUBJECT_LEFT_OUT", "SUBJECT_LOST", "echoes", "is_verdict"]
