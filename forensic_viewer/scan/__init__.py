"""Headless folder scans: which files (walk), the run loop (run), the results rows both ways
(records), the results files (results), heatmap and thumbnail files (maps), the triage rows
(triage). No Qt."""
