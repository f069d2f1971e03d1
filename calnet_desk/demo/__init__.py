"""A demo register: a made-up agency with a realistic CALNET file of every kind.

Everything is generated from a seed (``random.Random(seed)``) and a fixed "today"
(:data:`AS_OF`), never from the clock: the same seed gives the same records and the same
document bytes. Only the history's timestamps and the documents' ``added_at`` are the
real time of writing. The records go in through the store's normal path (one
transaction, ``Changes.put_many``), so the history and ``verify`` hold as for any data.
"""

from .fill import FILL_ORDER, NotEmpty, check_empty, create_demo, fill_demo, record_counts
from .generate import DemoData, DemoDocument, generate
from .pdf import order_pdf, record_pdf, simple_pdf
from .reference import (
    AS_OF,
    DEFAULT_ORDERS,
    DEFAULT_SEED,
    DEMO_AGENCY,
    DEMO_BILLING_CODE,
    DEMO_CLASS,
    SAMPLE_NOTE,
    Report,
)

__all__ = ["AS_OF", "DEFAULT_ORDERS", "DEFAULT_SEED", "DEMO_AGENCY", "DEMO_BILLING_CODE",
           "DEMO_CLASS", "FILL_ORDER", "SAMPLE_NOTE", "DemoData", "DemoDocument", "NotEmpty",
           "Report", "check_empty", "create_demo", "fill_demo", "generate", "order_pdf",
           "record_counts", "record_pdf", "simple_pdf"]
