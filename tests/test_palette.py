"""One colour language: orange negative and class 0, blue positive and
class 1, in every map of values; class colours and points that stay apart on
their own shading in truecolour and 256 colours (16 colours draw characters)."""

from types import SimpleNamespace

import numpy as np
from rich.color import Color, ColorSystem

from nntui.app.widgets._common import CLASS0, CLASS1, class_colors, diverging, mix, NEUTRAL
from nntui.app.widgets.boundary import BoundaryView, ring
from nntui.app.widgets.unitmaps import map_colours
from nntui.text import palette
from nntui.text.boundary import PALETTE as TEXT_PALETTE


def unpack(c: int) -> tuple[int, int, int]:
    return (c >> 16) & 255, (c >> 8) & 255, c & 255


def nearer_orange(rgb) -> bool:
    rgb = np.asarray(rgb, dtype=np.float64)
    return np.linalg.norm(rgb - CLASS0) < np.linalg.norm(rgb - CLASS1)


def lum(rgb) -> float:
    r, g, b = (float(v) for v in rgb)
    return (0.299 * r + 0.587 * g + 0.114 * b) / 255


def in_256(rgb) -> tuple[int, int, int]:
    c = Color.from_rgb(*(int(v) for v in rgb)).downgrade(ColorSystem.EIGHT_BIT)
    return tuple(c.get_truecolor())


def test_one_source_orange_negative_class_0_blue_positive_class_1():
    assert tuple(CLASS0) == palette.NEGATIVE and tuple(CLASS1) == palette.POSITIVE
    assert tuple(diverging(np.array([-1.0]), 1.0)[0]) == palette.NEGATIVE
    assert tuple(diverging(np.array([1.0]), 1.0)[0]) == palette.POSITIVE
    assert TEXT_PALETTE[:2] == (palette.NEGATIVE, palette.POSITIVE)  # the CLI's boundary too


def test_the_output_units_map_agrees_with_the_boundary():
    """xor: the output unit's map was blue exactly where the boundary was
    orange. Over outputs p, a sigmoid output's map and the boundary now take
    the same side of the palette at every point."""
    p = np.linspace(0.01, 0.99, 41)
    p = p[np.abs(p - 0.5) > 0.1]  # (nearer 0.5 both are the grey of unsure)
    view = SimpleNamespace(data={"task": "binary"})
    boundary_rgb, _, _ = BoundaryView._shade(view, p[:, None])
    unit = map_colours(p, 0.5, 0.5, dead=False)
    for b, u, v in zip(boundary_rgb, unit, p):
        assert nearer_orange(b) == nearer_orange(unpack(int(u))) == (v < 0.5)


def test_class_colours_stay_apart_in_truecolour_and_256_colours():
    cols = class_colors(10)
    for system in (lambda c: tuple(int(v) for v in c), in_256):
        seen = [system(c) for c in cols]
        assert len(set(seen)) == len(seen)


def test_points_show_on_their_own_class_region_and_any_value():
    """blobs' dark-green points vanished on the green region. A point is its
    full colour, ringed by the region's own colour darkened: the ring is
    darker than the point by a clear margin, in truecolour and in 256 colours,
    on every shade of every class and of the value map."""
    shades = [mix(NEUTRAL, c, t) for c in class_colors(10) for t in (0.15, 0.5, 1.0)]
    shades += list(diverging(np.linspace(-1, 1, 9), 1.0).astype(np.float64))
    points = list(class_colors(10)) + list(diverging(np.linspace(-1, 1, 9), 1.0).astype(np.float64))
    for shade in shades:
        shade_packed = (int(shade[0]) << 16) | (int(shade[1]) << 8) | int(shade[2])
        r = unpack(ring(shade_packed))
        for point in points:
            for system in (lambda c: tuple(int(v) for v in c), in_256):
                assert lum(system(point)) - lum(system(r)) >= 0.2, (shade, point)


def test_in_16_colours_negative_zero_and_positive_stay_three_colours():
    """16 colours draw the boundary and the maps in characters; the weights'
    heatmaps and lines keep their colours, which must not merge there."""
    ends = diverging(np.array([-1.0, -0.5, 0.0, 0.5, 1.0]), 1.0)
    standard = [Color.from_rgb(*(int(v) for v in c)).downgrade(ColorSystem.STANDARD).number for c in ends]
    assert len({standard[0], standard[2], standard[4]}) == 3, standard
