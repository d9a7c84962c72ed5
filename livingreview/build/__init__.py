"""The book build: the Sphinx extension (``livingreview.build.sphinx``) and what it sets up
(warm kernels, data-aware freshness, third-party patches), and the built-site check. Pages never
import this package: editing it executes no page."""
