"""Therapist video uploads: `receiving` (the HTTP body, checked before and while it is read)
and `jobs` (`AnalysisJobs`: the analysis in the background, on a thread or a task queue)."""
