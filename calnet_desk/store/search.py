"""Full-text search over every record kind and document name (SQLite FTS5).

The index is kept current by triggers (see schema.trigger_definitions), so every write
path, migrations included, updates it in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..records import KINDS
from .handles import Connected


def fts_query(text: str, prefix: bool = True) -> str | None:
    """User text as an FTS5 query: every word quoted (hyphens, colons, quotes and
    operators are not syntax), all words required, the last one as a prefix."""
    words = text.split()
    if not words:
        return None
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if prefix:
        quoted[-1] += " *"
    return " ".join(quoted)


@dataclass(frozen=True)
class Hit:
    kind: str
    key: str
    snippet: str
    rank: float

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "snippet": self.snippet,
                "rank": self.rank}


SEARCH_KINDS = (*KINDS, "documents")


def search(reg: Connected, text: str, kind: str | None = None,
           limit: int = 50) -> list[Hit]:
    """Best matches first (bm25)."""
    query = fts_query(text)
    if query is None:
        return []
    sql = ("SELECT kind, key, snippet(search_index, 2, '[', ']', '…', 12), "
           "bm25(search_index) AS score FROM search_index WHERE search_index MATCH ?")
    params: list[Any] = [query]
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    sql += " ORDER BY score LIMIT ?"
    params.append(limit)
    return [Hit(k, key, snip, round(-score, 6)) for k, key, snip, score in
            reg.conn.execute(sql, params)]
