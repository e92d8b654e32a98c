"""The articles' tuning claims: what each needs, how it is measured, and a verdict.

`catalogue` lists the claims of ARTICLES.md, each with the hyperparameter
contrast it needs; `schedule` adds those contrasts to a sweep's space;
`contrasts` sorts runs into the two sides of a claim and pairs them;
`measure` reads each run's metric; `stats` turns per-seed values into a
verdict with its uncertainty; `tuned` answers the same contrast with each
side at its own best settings (cross-fitted over halves of the seeds);
`verdicts` ties it together and writes `claims.csv` into the run directory.
(The sweep's side, adding a claim's contrast to its space, is
`search.sweep.schedule`.)
"""
