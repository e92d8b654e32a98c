"""HTML reports of sweeps: one self-contained `report.html` per run directory.

    from reports.html import write_report
    write_report(Path("runs/digits"))        # -> runs/digits/report.html

or `python -m reports RUN_DIR`. Each section is computed as a small info
record (reports.header, .table, .curves, .effects, .pooling, .confusion,
.samples, .claims) from the run directory loaded by reports.runs, drawn by
reports.plots, and laid out by reports/templates/report.html.j2.
"""
