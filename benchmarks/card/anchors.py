"""Published figures the card sets beside ours, each with its source as it was checked.

A figure whose source could not be found says so ("source not verified") rather than borrow a
citation. `checked` records what the source itself says, so a reader can judge how comparable
it is with our measure.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Anchor:
    what: str
    figure: str
    source: str  # citation, or "source not verified"
    url: str
    checked: str  # what the source says, in short; how it differs from our measure


REP_EXACT = Anchor(
    what="Rep counting, share of clips counted exactly",
    figure=">= 90%",
    source="source not verified",
    url="",
    checked="The target comes with the issue (issue 26); no publication giving it was found.",
)

REP_WITHIN_ONE = Anchor(
    what="Rep counting, share within +-1 and MAE",
    figure=">= 95% within +-1; MAE 0.06",
    source="Hsu YC, Tsougenis E, Tsui KL. Viewpoint-invariant exercise repetition counting. "
    "Health Inf Sci Syst 2024;12(1):1. doi:10.1007/s13755-023-00258-3 (arXiv:2107.13760)",
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC10692053/",
    checked="Skeleton-based counter: UI-PRMD MAE 0.06 with off-by-one accuracy (OBOA) 0.95; "
    "MM-Fit MAE 0.06, OBOA 0.94; own videos from 11 adults at various camera positions MAE 0.07, "
    "OBOA 0.91. The abstract does not say whether MAE is normalised by the true count, as the "
    "repetition-counting literature usually does: the card gives both.",
)

KNEE_ANGLE = Anchor(
    what="MediaPipe knee angle against a reference",
    figure="MAE about 7 deg",
    source="Yue XA, Gu Y, Yu B. Validation of single-camera MediaPipe BlazePose for knee joint "
    "angle measurement. JMIR Rehabil Assist Technol, preprint 102399 (submitted 2026, not "
    "peer-reviewed)",
    url="https://preprints.jmir.org/preprint/102399/submitted",
    checked="15 healthy young adults filmed from the side, BlazePose heavy: dynamic MAE 7.07 deg, "
    "bias -5.12 deg, against 2-D video annotation (Kinovea); the goniometer was the reference "
    "for static positions (30-120 deg) only. A metrological study against an IMU found "
    "-13.9 +- 15.1 deg over 45-90 deg views (LoA -43.5..15.5), -2.3 +- 6.4 deg side-on "
    "(Cosoli G, Arnesano M, Scalise L, 2026, https://iris.uniecampus.it/handle/11389/91575).",
)

THERAPIST_AGREEMENT = Anchor(
    what="Agreement of an exercise app with physiotherapists",
    figure="0.83",
    source="Biebl JT, Rykala M, Strobel M, et al. App-based feedback for rehabilitation "
    "exercise correction in patients with knee or hip osteoarthritis: prospective cohort "
    "study. J Med Internet Res 2021;23(7):e26658. doi:10.2196/26658",
    url="https://doi.org/10.2196/26658",
    checked="Percent agreement on exercise corrections (24 patients with osteoarthritis, 6 "
    "exercises): app vs physiotherapists 0.828, physiotherapist vs physiotherapist 0.833. "
    "It is agreement on form corrections, not on counts or angles.",
)

VIDEO_TUG = Anchor(
    what="Timed Up and Go from one ordinary video camera",
    figure="transitions within 0.15 s of hand labels",
    source="Automation of the Timed-Up-and-Go test using a conventional video camera. IEEE J "
    "Biomed Health Inform (2020); abstract read, authors and pages not checked",
    url="https://discovery.researcher.life/article/automation-of-the-timed-up-and-go-test-using-a-"
    "conventional-video-camera/cf364e3599c939f2bc8206f277b33358",
    checked="30 healthy participants, 3 m and 1.5 m TUG, filmed with a Kinect V2 and an RGB "
    'camera; 3-D poses from Mask R-CNN + DMHS; "average errors of less than 0.15 seconds from a '
    'multi-observer hand labeled ground truth" for six phase transitions. Per transition, not '
    "the total; healthy young adults. The issue's target for Coach's total is <= 0.3 s.",
)

ALL = (REP_EXACT, REP_WITHIN_ONE, KNEE_ANGLE, THERAPIST_AGREEMENT, VIDEO_TUG)
