"""The training engine: pure NumPy, no UI imports, usable as a library."""
