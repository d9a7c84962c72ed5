"""Checks of a contributor's data, bibliography and chapters, each problem reported as
``file:row: column: what is wrong`` (:class:`livingreview.core.problem.Problem`). A new rule goes
into the module of what it checks: ``validate`` (data package, cross-field rules, citations),
``screening`` (the screening log), ``prose`` (hand-typed numbers in chapters)."""
