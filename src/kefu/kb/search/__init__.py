"""Search of the knowledge base: a pure in-memory index (Chinese and English).

The content slice feeds it articles (``Document``) and asks ``SearchIndex.search``;
see docs/kb-search.md for the design, the weights and the measured figures.
"""

from .highlight import Marks, mark
from .index import Document, Hit, Results, SearchIndex, Weights
from .synonyms import Synonyms
from .text import add_words, fold, plain, preload

__all__ = ["Document", "Hit", "Marks", "Results", "SearchIndex", "Synonyms", "Weights", "add_words", "fold",
           "mark", "plain", "preload"]
