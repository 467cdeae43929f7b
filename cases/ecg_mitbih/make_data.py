"""Make ``ecg.csv``: one minute of one ECG lead (MIT-BIH Arrhythmia Database, record 208, lead MLII).

The source is the five-minute excerpt (19:35 to 24:35 of record 208, 360 Hz,
11-bit ADC, gain 200 per mV, zero at 1024) that SciPy shipped as
``scipy.misc.electrocardiogram`` up to SciPy 1.11 (``scipy/misc/ecg.dat``);
the file keeps minutes 2 to 3 of that excerpt (21 600 samples), whose rhythm
is the most regular (RR intervals 0.59 +- 0.07 s). Columns: ``t`` (seconds)
and ``ecg`` (mV). Regenerate with ``python cases/ecg_mitbih/make_data.py
PATH/TO/ecg.dat`` (the file from a SciPy < 1.12 wheel); nothing is
downloaded.

The MIT-BIH Arrhythmia Database is available from PhysioNet under the Open
Data Commons Attribution License v1.0: Moody GB, Mark RG, "The impact of the
MIT-BIH Arrhythmia Database", IEEE Eng in Med and Biol 20(3):45-50 (2001),
doi:10.13026/C2F305; Goldberger AL et al., "PhysioBank, PhysioToolkit, and
PhysioNet", Circulation 101(23):e215-e220 (2000).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FS = 360.0
START, STOP = 120, 180  # seconds into the excerpt


def make(dat: str | Path) -> np.ndarray:
    with np.load(dat) as f:
        mv = (f["ecg"].astype(int) - 1024) / 200.0
    x = mv[int(START * FS):int(STOP * FS)]
    return np.column_stack([np.arange(len(x)) / FS, x])


def write(dat: str | Path, path: Path = HERE / "ecg.csv") -> Path:
    np.savetxt(path, make(dat), delimiter=",", fmt=["%.6f", "%.3f"], header="t,ecg", comments="")
    return path


if __name__ == "__main__":
    print(write(sys.argv[1]))
