"""Audit bundles: the agency's files for the CALNET Program, on request [STMM 501.0,
3-502.0], as a BagIt bag (RFC 8493) in a zip an auditor checks with stock tools.

Layout (one top folder, ``calnet-bundle-<as-of>/``)::

    bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
    data/records/<kind>.csv|.xlsx|.json    the records in scope (canonical layout)
    data/documents/<safe unique name>      the documents linked to them
    data/documents.json                    sha256, name, size, media_type, added_at, file,
                                           links [{kind, key}]
    data/history/entries.jsonl             the scope's history entries, canonical JSON
    data/history/chain.csv                 every entry's header, body, prev and hash
    data/billing/statements.json|marks.json  contractors' statements in scope, their marks
    data/summary.pdf                       agency, CATR, scope, as-of, records, findings,
                                           deadlines, citations (a tagged PDF)
    data/findings.csv                      every open finding in scope as of the date
    data/columns.csv                       the column guide: label, format, choices, help
                                           and source of every column (``columns``)

The modules, one job each:

* ``scope``: which records, documents and history entries a scope holds (from the register,
  from the register as of a day, or from a bundle's chain alone);
* ``layout``: the files and their formats, written and read by the same code;
* ``columns``: the column guide for the auditor (data/columns.csv);
* ``redact``: what a redacted copy hides, and the proof it keeps;
* ``write``: ``export_bundle``;
* ``verify``: ``verify_bundle`` / ``verify_bag``.
"""

from .layout import BAGIT_TXT, BundleError, read_bag_info
from .redact import Redactor
from .scope import Scope, ScopeSyntax, Selection, parse_scope
from .verify import verify_bag, verify_bundle
from .write import BundleResult, export_bundle

__all__ = ["BAGIT_TXT", "BundleError", "BundleResult", "Redactor", "Scope", "ScopeSyntax",
           "Selection", "export_bundle", "parse_scope", "read_bag_info", "verify_bag",
           "verify_bundle"]
