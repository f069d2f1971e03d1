"""The record editor: one form per record kind, built from the core's field declarations."""
