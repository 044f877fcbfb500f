"""Why an angle shows no number, in words: the reasons of scoring.confidence, rendered here at
the edge for the pages, the exports' readers and the terminal (the events carry only ids)."""

from __future__ import annotations

from scoring.words import say

NOT_MEASURED_WORDS = {
    "view": say("seen from a view that cannot measure this angle (film side-on)"),
    "hidden": say("the joints were not seen clearly enough (step back, better light)"),
    "jitter": say("the angle jumped from frame to frame (the pose was not steady)"),
}
UNCHECKED_WORDS = say("not checked against the range limit: the angle was not measured")


def not_measured_words(reason: str) -> str:
    """ "not measured: <why>" for a rep or figure without a number: a message (scoring.words)
    whose text is the English."""
    why = NOT_MEASURED_WORDS.get(reason)
    return say("not measured: {why}", why=why) if why else say("not measured")
