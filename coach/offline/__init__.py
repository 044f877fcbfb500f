"""Work on recordings: `coach analyze` and its JSON contract, clinical tests (protocols),
evaluation against a manifest, annotated video, and recording a video's session in the store.

The same causal FrameProcessor (coach/pipeline.py) as live coaching runs here, so a therapist
sees the same count offline and live.
"""
