"""Make ``sunspots.csv``: yearly mean sunspot numbers 1700–2008, from statsmodels.

The data are the yearly sunspot series that ``statsmodels.datasets.sunspots``
ships (SIDC yearly means, public domain). Columns: ``year`` (the time, in
years) and ``sunspots``. statsmodels is needed only to regenerate the file:
``python cases/sunspots/make_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def make():
    import statsmodels.api as sm

    d = sm.datasets.sunspots.load_pandas().data
    return np.column_stack([d["YEAR"].to_numpy(float), d["SUNACTIVITY"].to_numpy(float)])


def write(path: Path = HERE / "sunspots.csv") -> Path:
    np.savetxt(path, make(), delimiter=",", fmt=["%.0f", "%.1f"], header="year,sunspots", comments="")
    return path


if __name__ == "__main__":
    print(write())
