"""Make the README's pictures again: `nntui shot` writes each as an SVG, and a
headless Chromium draws it as a PNG.

    python docs/pictures.py [NAME ...]      # all of them, or the ones named

Why Chromium: Textual's SVG places each run of text with its own width
(`textLength`), which a browser honours; cairosvg does not, and draws the
braille of the loss charts narrower than the other characters, so a chart's
epochs no longer sit under its ticks. Needs what the browser test needs:
playwright (pip) and Debian's chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"

# name: the `nntui shot` arguments (the picture's file is docs/screenshot-NAME.png, "main" docs/screenshot.png)
PICTURES = {
    "main": ["spiral", "--epochs", "250", "--keys", "n n n n n n", "--size", "160x48"],
    "backward": ["xor", "--epochs", "30", "--keys", "n n n n n", "--size", "160x48"],
    "80x24": ["xor", "--epochs", "60", "--size", "80x24"],
    "unit-maps": ["spiral", "--epochs", "250", "--view", "network", "--size", "120x40"],
    "digits": ["digits", "--epochs", "10", "--size", "160x48"],
    "race": ["optimizers", "--epochs", "60", "--view", "race", "--size", "160x48"],
    "race-landscape": ["valley", "--epochs", "100", "--view", "race-landscape", "--size", "120x36"],
}


def png_of(svg: Path, png: Path) -> None:
    from playwright.sync_api import sync_playwright

    text = svg.read_text()
    width, height = map(float, re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', text).groups())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run"])
        page = browser.new_page(viewport={"width": int(width), "height": int(height)}, device_scale_factor=1)
        page.set_content(f"<html><body style='margin:0;background:#000'>{text}</body></html>")
        page.wait_for_timeout(300)
        page.locator("svg").first.screenshot(path=str(png))
        browser.close()


def main(names: list[str]) -> None:
    unknown = [n for n in names if n not in PICTURES]
    if unknown:
        sys.exit(f"no picture {', '.join(unknown)}; the pictures: {', '.join(PICTURES)}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names or PICTURES:
            svg = Path(tmp) / f"{name}.svg"
            subprocess.run([sys.executable, "-m", "nntui", "shot", *PICTURES[name], "-o", str(svg)], check=True)
            png = DOCS / ("screenshot.png" if name == "main" else f"screenshot-{name}.png")
            png_of(svg, png)
            print(f"wrote {png.relative_to(DOCS.parent)}")


if __name__ == "__main__":
    main(sys.argv[1:])
