"""The articles' tuning claims: what each needs, how it is measured, and a verdict.

`catalogue` lists the five tutorial articles' claims (each cites its
article by number), with the hyperparameter contrast it needs; `stated`
builds a user's own claims (`search.Compare`) as the same type;
`contrasts` sorts runs into the two sides of a claim and pairs them;
`measure` reads each run's metric; `stats` turns per-seed values into a
verdict with its uncertainty; `tuned` answers the same contrast with each
side at its own best settings (cross-fitted over halves of the seeds);
`verdicts` ties it together and writes `claims.csv` into the run directory;
`frame` gives the verdicts as a DataFrame (`search.load_claims`).
Adding a claim's contrast to a sweep's space is the sweep's side:
`search.sweep.schedule`.
"""
