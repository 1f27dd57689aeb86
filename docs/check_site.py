"""Check the built documentation site in a real headless browser (Chromium).

Serves ``docs/_build/html`` on localhost, opens the index, one gallery page and
one API page in headless Chromium (through Selenium and chromedriver), and
fails unless, on each page, the text is there (not a blank page), every image
has loaded (``complete`` with a non-zero natural width), the gallery page shows
at least one figure, and the screenshot is not a single colour. Screenshots are
written to ``--out``.

Run: ``python docs/check_site.py [--site docs/_build/html] [--out DIR]`` after
``make -C docs html``; needs the ``docs`` extra and Chromium with chromedriver
(Debian: ``apt-get install chromium chromium-driver``).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import threading
from pathlib import Path

PAGES = {
    "index": ("index.html", 1),
    "gallery": ("auto_gallery/plot_04_spiral_global_vs_adam.html", 1),
    "api": ("api/estimators.html", 0),
}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(site):
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1600",
    ):
        options.add_argument(flag)
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary:
        options.binary_location = binary
    driver = shutil.which("chromedriver")
    service = Service(executable_path=driver) if driver else Service()
    return webdriver.Chrome(service=service, options=options)


_IMAGES = """
const imgs = Array.from(document.images);
return [imgs.length, imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)];
"""


def _one_colour(png):
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(png)).convert("L")
    low, high = image.getextrema()
    return high - low < 10


def check(site, out):
    """Problems found on the three pages (an empty list when the site is good)."""
    server = _serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    problems = []
    driver = _browser()
    try:
        for name, (path, min_images) in PAGES.items():
            if not (site / path).exists():
                problems.append(f"{name}: {path} was not built")
                continue
            driver.get(base + path)
            driver.execute_script("return document.readyState")
            text = driver.execute_script("return document.body.innerText") or ""
            n_images, broken = driver.execute_script(_IMAGES)
            png = driver.get_screenshot_as_png()
            (out / f"{name}.png").write_bytes(png)
            if len(text.strip()) < 200:
                problems.append(f"{name}: blank page ({len(text.strip())} characters of text)")
            if broken:
                problems.append(f"{name}: {len(broken)} image(s) did not load: {broken[:3]}")
            if n_images < min_images:
                problems.append(f"{name}: {n_images} image(s), expected at least {min_images}")
            if _one_colour(png):
                problems.append(f"{name}: the screenshot is a single colour")
            print(f"{name}: {path}: {len(text):,} characters, {n_images} image(s) loaded")
    finally:
        driver.quit()
        server.shutdown()
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parent
    parser.add_argument("--site", type=Path, default=here / "_build" / "html")
    parser.add_argument("--out", type=Path, default=here / "_build" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    problems = check(args.site, args.out)
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    print(f"screenshots in {args.out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
