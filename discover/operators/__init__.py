"""Linear operators: DMD, EDMD, Hankel/HAVOK and piecewise DMD."""
