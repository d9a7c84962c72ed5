"""The bottom layer: the project's paths and constants, the one problem type every check reports,
and small text helpers. Standard library only; nothing here imports another part of the engine."""
