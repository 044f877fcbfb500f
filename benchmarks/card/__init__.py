"""The accuracy card (benchmarks/accuracy_card.py): Coach's figures on real recordings, written
to docs/ACCURACY.md for people and to coach/accuracy.json for the product's pages.

counts: rep counts and hold times of a MANIFEST.json's clips; clinical: chair-stand counts and
sit-to-stand times of clinical_clips.json's clips; angles: the angle benchmark's summary;
anchors: the published figures beside ours; build: the card as one dict; markdown and product:
that dict for people and for the pages.
"""
