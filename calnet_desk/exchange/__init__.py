"""Spreadsheet exchange (CSV/XLSX in and out); later: audit bundles and PDF summaries."""
