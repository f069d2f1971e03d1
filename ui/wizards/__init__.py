"""Wizards: first run, importing a spreadsheet, the procurement check."""
