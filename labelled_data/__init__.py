"""Adapters from other people's labelled pose datasets to our (T, 33, 4) landmark tracks.

Each module reads one dataset's files where they lie (never copied into the repository) and
returns `LabelledTrack`s that the same scoring core judges: joints a dataset lacks get
visibility 0, so the measures that need them are NaN, never invented.
"""

from labelled_data.common import LabelledTrack, project_3d

__all__ = ["LabelledTrack", "project_3d"]
