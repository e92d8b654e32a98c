"""Step 1, the data: where images come from, how they decode, and the data check.

`sources` names the folders and built-in sets a sweep reads, `images`
decodes files (skipping unreadable ones with a warning), `datacheck`
finds duplicates and leaks before training, and `pipeline` shapes the
arrays a model takes.
"""
