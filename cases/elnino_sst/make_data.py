"""Make ``elnino_sst.csv``: monthly Niño-region sea-surface temperature 1950–2010, from statsmodels.

``statsmodels.datasets.elnino`` ships a table of one row per year and one
column per month (°C). It is written here as one series: ``year`` (the time,
in decimal years at mid-month, ``year + (month - 0.5) / 12``) and ``sst``.
statsmodels is needed only to regenerate the file:
``python cases/elnino_sst/make_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def make():
    import statsmodels.api as sm

    d = sm.datasets.elnino.load_pandas().data
    years = d["YEAR"].to_numpy(float)
    sst = d[list(MONTHS)].to_numpy(float)  # (years, 12)
    t = (years[:, None] + (np.arange(12)[None, :] + 0.5) / 12).ravel()
    return np.column_stack([t, sst.ravel()])


def write(path: Path = HERE / "elnino_sst.csv") -> Path:
    np.savetxt(path, make(), delimiter=",", fmt=["%.10f", "%.2f"], header="year,sst", comments="")
    return path


if __name__ == "__main__":
    print(write())
