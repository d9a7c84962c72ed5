"""The book build: the Sphinx extension (``livingreview.build.sphinx``) and what it sets up
(warm kernels, data-aware freshness, third-party patches), and the built-site check. Pages never
import this package: editing it executes no page."""

from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"  # package files (JS, CSS), copied into the site
STATIC_DIR = "livingreview"  # where, under the site's _static/
