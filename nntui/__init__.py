"""nntui: watch a neural network learn, one phase at a time, in the terminal."""

__version__ = "0.1.0"
