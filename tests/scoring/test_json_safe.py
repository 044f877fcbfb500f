"""json_safe: what a browser's JSON.parse accepts, at any depth, whatever the value's type."""

from __future__ import annotations

import json
import math
from collections import OrderedDict

import numpy as np

from pose.landmarks import Landmark
from scoring.events import json_safe


def test_non_finite_numbers_become_null_and_numpy_scalars_plain_numbers() -> None:
    value = {
        "t": 1.5,
        "nan": math.nan,
        "inf": -math.inf,
        "n": 3,
        "ok": True,
        "none": None,
        "text": "x",
        "np_nan": np.float64("nan"),
        "np_float": np.float32(0.25),
        "np_int": np.int64(7),
        "np_bool": np.bool_(True),
        "joint": Landmark.LEFT_KNEE,
        "nested": [1.0, math.inf, (2, np.float64(math.nan)), {"deep": [math.nan]}],
        "ordered": OrderedDict(a=math.nan),
    }
    got = json_safe(value)
    assert got == {
        "t": 1.5,
        "nan": None,
        "inf": None,
        "n": 3,
        "ok": True,
        "none": None,
        "text": "x",
        "np_nan": None,
        "np_float": 0.25,
        "np_int": 7,
        "np_bool": True,
        "joint": Landmark.LEFT_KNEE,
        "nested": [1.0, None, [2, None], {"deep": [None]}],
        "ordered": {"a": None},
    }
    assert type(got["np_float"]) is float and type(got["np_int"]) is int
    assert type(got["np_bool"]) is bool and type(got["ordered"]) is dict
    json.dumps(got, allow_nan=False)  # strict JSON
