"""Compose the README's picture from the figures of a demo report.

Run: .venv/bin/gazelearn demo --output demo-output
     .venv/bin/python tools/readme_picture.py demo-output docs/demo.png
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

PANELS = ("population-1", "scanpaths-1", "eyes-1")
HEIGHT = 300


def compose(figures: Path, output: Path) -> None:
    images = []
    for name in PANELS:
        image = Image.open(figures / f"{name}.png").convert("RGB")
        images.append(image.resize((round(image.width * HEIGHT / image.height), HEIGHT)))
    canvas = Image.new("RGB", (sum(i.width for i in images) + 10 * (len(images) - 1), HEIGHT),
                       "white")
    x = 0
    for image in images:
        canvas.paste(image, (x, 0))
        x += image.width + 10
    canvas.save(output, optimize=True)


if __name__ == "__main__":
    compose(Path(sys.argv[1]) / "figures", Path(sys.argv[2]))
