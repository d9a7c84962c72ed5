"""Review logic: PRISMA counts from the screening log, releases and what changed between them,
the living banner and downloads, the releases feed."""
