"""Coach: ties pose estimation, exercise definitions and scoring into pipelines and a CLI."""

__version__ = "0.1.0"
