"""The dataset: a Frictionless data package read into typed frames (``load``), its bibliography
(``bib``), and the screening log's vocabulary. Below the checks, statistics and presentation."""
