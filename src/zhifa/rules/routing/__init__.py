"""Routing (一键转办) as pure functions: report text → catalogue items, and who handles it.

`Router.train(items, examples)` builds an explainable model from the catalogue (and labelled
reports); `Router.rank(text)` gives the top candidates with scores and the report's words that
decided; `decide_handler(...)` applies the holding rule. No Django here: the glue that reads the
catalogue, the grid and the stored model is `zhifa.dispatch.routing`.
"""

from zhifa.rules.routing.handler import decide_handler
from zhifa.rules.routing.model import NONE, Candidate, CatalogueItem, Example, Ranking, Router
from zhifa.rules.routing.text import LexiconError, parse_lexicon

__all__ = [
    "NONE",
    "Candidate",
    "CatalogueItem",
    "Example",
    "LexiconError",
    "Ranking",
    "Router",
    "decide_handler",
    "parse_lexicon",
]
