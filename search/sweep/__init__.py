"""Step 4, the sweep: what a sweep file declares and how Keras Tuner runs it.

`spec` is the sweep file's vocabulary (`Sweep`, `Range`, `EarlyStopping`),
`seeds` and `rounds` decide how many replicates run, `space` and
`schedule` build the search space, `oracles` / `tuner` / `distributed`
adapt Keras Tuner (its private names confined to `keras_tuner_private`),
and `engine` prepares and trains a whole sweep.
"""
