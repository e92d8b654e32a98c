"""One sweep file per article set-up; run one with `python -m search.run sweeps/NAME.py`."""
