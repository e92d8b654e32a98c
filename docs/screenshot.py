"""Redraw docs/images/report-claims.png: the claims section of a report, in headless Chromium.

    python -m search.run --out /tmp/demo --quiet   # the demo sweep (about 1.5 min on 2 cores)
    python docs/screenshot.py /tmp/demo/report.html

The section is cut out with the report's own <head> (its styles), drawn at
1,100 px, trimmed to its content and saved with a 64-colour palette (about
100 KB).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops

OUT = Path(__file__).resolve().parent / "images" / "report-claims.png"


def main(report: str) -> Path:
    html = Path(report).read_text(encoding="utf-8")
    start = html.index('<section id="claims">')
    end = html.index("</section>", start) + len("</section>")
    with tempfile.TemporaryDirectory() as tmp:
        page, shot = Path(tmp) / "claims.html", Path(tmp) / "claims.png"
        page.write_text(html[:html.index("<body")] + "<body><main>" + html[start:end] + "</main></body></html>",
                        encoding="utf-8")
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=1100,1600", f"--screenshot={shot}", page.as_uri()], check=True,
                       capture_output=True)
        image = Image.open(shot).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, (255, 255, 255))).getbbox()
    image = image.crop((0, 0, image.size[0], min(image.size[1], box[3] + 16)))
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(OUT, optimize=True)
    return OUT


if __name__ == "__main__":
    print(main(sys.argv[1]))
