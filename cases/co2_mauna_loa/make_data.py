"""Make ``co2.csv``: weekly atmospheric CO2 at Mauna Loa 1958–2001, from statsmodels.

``statsmodels.datasets.co2`` ships the weekly record (ppm, weeks ending on
Saturdays from 1958-03-29 to 2001-12-29, a few weeks missing). The missing
weeks (59 of 2284) are filled by linear interpolation in time, so that the
series is regular. Columns: ``year`` (the time, in decimal years:
1958-01-01 plus days / 365.25, so one week is exactly 7 / 365.25) and
``co2``. statsmodels is needed only to regenerate the file:
``python cases/co2_mauna_loa/make_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def make():
    import pandas as pd
    import statsmodels.api as sm

    d = sm.datasets.co2.load_pandas().data["co2"]
    d = d.interpolate(method="time")
    days = (d.index - pd.Timestamp("1958-01-01")).days.to_numpy(float)
    return np.column_stack([1958.0 + days / 365.25, d.to_numpy(float)])


def write(path: Path = HERE / "co2.csv") -> Path:
    np.savetxt(path, make(), delimiter=",", fmt=["%.12f", "%.2f"], header="year,co2", comments="")
    return path


if __name__ == "__main__":
    print(write())
