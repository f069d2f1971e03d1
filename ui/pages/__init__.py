"""The workspace pages: the dashboard, one page per record kind, the documents and billing
pages, the record view and its documents."""
