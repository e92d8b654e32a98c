"""The articles' tuning claims: what each needs, how it is measured, and a verdict.

`catalogue` lists the claims of ARTICLES.md, each with the hyperparameter
contrast it needs; `schedule` adds those contrasts to a sweep's space;
`measure` turns run records into paired samples; `stats` turns paired
samples into a verdict with its uncertainty; `verdicts` ties it together and
writes `claims.csv` into the run directory.
"""
