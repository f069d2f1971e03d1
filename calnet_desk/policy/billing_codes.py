"""The billing reconciliation's finding codes (policy/reconcile.py) and the names each
code's message template may use ({key} is the statement line). The codes are CALNET Desk's
own design; their severity, message and citation are in the rule set (``[findings.CODE]``).
"""

from __future__ import annotations

from .rules import CodeLabels

CODES = ("billed-after-disconnect", "billed-not-in-register", "duplicate-billing",
         "ordered-not-billed", "rate-mismatch", "unused-line")
# What each code is called in reports a person reads: its label in the rule set
# ([findings.CODE] label; the codes stay in the JSON, the rule set and the workbook's sheet
# names).
LABELS = CodeLabels("findings", CODES)

# How a person marks a finding (reconcile-mark --as); disputed ones stay open.
MARKS = ("disputed", "credited", "explained", "resolved")

RECONCILE_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "billed-after-disconnect": ("key", "contractor", "month", "line", "order", "problem",
                                "amount"),
    "billed-not-in-register": ("key", "contractor", "month", "line", "ban", "amount"),
    "duplicate-billing": ("key", "contractor", "month", "line", "product", "first_row", "row",
                          "amount"),
    "ordered-not-billed": ("key", "contractor", "month", "line", "order", "completed_on",
                           "ordered"),
    "rate-mismatch": ("key", "contractor", "month", "line", "order", "billed", "ordered",
                      "difference"),
    "unused-line": ("key", "contractor", "month", "line", "months", "amount"),
}


