"""The one colour language of nntui, as TensorFlow Playground's: orange is
negative and class 0, blue is positive and class 1, grey is zero.

Every value drawn in colour takes its colour from here: the decision
boundary, the unit maps (the output unit's too, so a sigmoid unit's map is
orange exactly where the boundary says class 0), the weights' lines and
heatmaps, the images of weights, and the text boundary of the CLI. The
colours are mid-luminance, so they read on dark and light themes alike.

Further classes follow orange and blue in an order chosen so that each stays
apart from the others, from its own region's shade and from a point's dark
ring, in truecolour and in 256 colours (tests/test_palette.py measures it).
"""

from __future__ import annotations

NEGATIVE = (230, 140, 50)  # orange: below zero (or the middle), class 0
POSITIVE = (66, 133, 214)  # blue: above, class 1
ZERO = (138, 138, 138)  # grey: zero, and an unsure region

# Classes: orange, blue, then green, red, purple, brown, pink, grey, olive, cyan.
CLASSES = (
    NEGATIVE,
    POSITIVE,
    (60, 180, 75),
    (214, 70, 70),
    (160, 110, 210),
    (170, 110, 70),
    (230, 120, 190),
    (150, 150, 150),
    (185, 185, 60),
    (60, 190, 200),
)

# The loss chart's curves, as the CLI's (text/curves.py): training blue,
# validation orange. A curve is not a signed value; validation is drawn
# dotted and under training, so neither hides the other.
TRAIN_CURVE = POSITIVE
VAL_CURVE = NEGATIVE

# A point on the boundary: its class's (or target's) colour on a ring this
# dark, so that it shows on any shade, its own class's included.
RING = 0.25


def hex_of(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)
