"""Headless folder scans: which files (walk), the run loop (run), the results format (records),
the triage rows (triage). No Qt."""
