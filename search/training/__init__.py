"""Step 3, training one run or one fused group of seeds.

Callbacks log each epoch into the run records, checkpoints make a killed
run resume mid-way, `pruning` stops hopeless runs, `reuse` lets a trial's
seeds share one compiled model, and `fused` / `fused_jax` / `members` / `fusion`
train several seeds as one model when that is faster. `device` says what
the machine can do.
"""
