"""Read models for people reviewing stored sessions: progress over weeks, exports (CSV, JSON),
and personal references said in words. Pure reads of the store; no pages, no I/O of their own.
"""
