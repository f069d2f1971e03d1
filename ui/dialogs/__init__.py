"""Dialogs opened from the menus and pages: rules, IPR, settings, audit bundles, deadline
actions."""
