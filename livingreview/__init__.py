"""The engine of the living review: data loading and validation, statistics, charts, tables,
and the book's Sphinx glue. It knows nothing about leukemia; the content (data/, references.bib,
chapters/) knows nothing about Sphinx."""

__version__ = "0.1.0"
