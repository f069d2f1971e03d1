"""Rules as cited data, the procurement check, deadlines' rules and findings."""
