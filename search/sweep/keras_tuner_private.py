"""Every private Keras Tuner name this project uses, and why, in one place.

Keras Tuner's public API (`keras_tuner.Tuner`, the oracles, `keras_tuner.errors`,
`keras_tuner.synchronized`, `keras_tuner.engine.trial.TrialStatus`) covers
most of what a sweep needs. What it does not cover is reached here and only
here, through small functions named for what they do, so that:

- an upgrade breaks in one file, and `tests/test_keras_tuner_private.py`
  names the missing attribute before any sweep runs (`PRIVATE_NAMES`);
- pyproject.toml pins `keras-tuner>=1.4.7,<1.5`, the versions checked.

Nothing here changes Keras Tuner's behaviour by itself; each function says
which of the project's fixes needs it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

import keras_tuner


@dataclass(frozen=True)
class PrivateName:
    """One private name: where it lives, what it is, and why we need it."""

    owner: str  # where the name is looked up, for the test and the message
    name: str
    why: str
    where: Callable[[], Any]  # returns the object (module, class or instance) that must have `name`


def _grid_oracle() -> Any:
    hp = keras_tuner.HyperParameters()
    hp.Choice("x", [1, 2])
    return keras_tuner.oracles.GridSearchOracle(hyperparameters=hp, max_trials=1)


def _import(module: str) -> Callable[[], Any]:
    def load():
        import importlib

        return importlib.import_module(module)

    return load


def _retrieve_owner() -> Any:
    return keras_tuner.HyperParameters()


PRIVATE_NAMES: tuple[PrivateName, ...] = (
    PrivateName("keras_tuner.src.config", "DEBUG",
                "off, so a failed trial's traceback goes into its record instead of the console",
                _import("keras_tuner.src.config")),
    PrivateName("keras_tuner.src.tuners.gridsearch", "LinkedList",
                "rebuilds the grid walk's order on resume (keras-team/keras-tuner#1055)",
                _import("keras_tuner.src.tuners.gridsearch")),
    PrivateName("GridSearchOracle()", "_ordered_ids",
                "the grid walk's order, rebuilt from the trials on disk on resume (#1055)", _grid_oracle),
    PrivateName("GridSearchOracle()", "_populate_next",
                "the trials whose grid successor is still to try, rebuilt on resume (#1055)", _grid_oracle),
    PrivateName("GridSearchOracle()", "_compare",
                "the grid's own order of two configurations, to sort the resumed trials (#1055)", _grid_oracle),
    PrivateName("Oracle()", "_retry_queue",
                "a dead worker's trial goes back into it; a round is over only when it is empty", _grid_oracle),
    PrivateName("keras_tuner.Oracle", "_project_dir",
                "the oracle's state folder, checked for damaged files before Keras Tuner reloads it",
                lambda: keras_tuner.Oracle),
    PrivateName("Oracle()", "_get_oracle_fname",
                "oracle.json's path, written atomically instead of in place", _grid_oracle),
    PrivateName("Oracle()", "_get_trial_dir",
                "trial.json's folder, written atomically instead of in place", _grid_oracle),
    PrivateName("Oracle()", "_save_trial",
                "the hook that writes trial.json, overridden to write it atomically", _grid_oracle),
    PrivateName("Oracle()", "_set_project_dir",
                "where an oracle without a tuner keeps its state (tests, and the chief's first save)", _grid_oracle),
    PrivateName("keras_tuner.Tuner", "_get_tuner_fname",
                "the tuner's own state file, written atomically", lambda: keras_tuner.Tuner),
    PrivateName("keras_tuner.Tuner", "_is_worker",
                "a worker must not save the chief's oracle", lambda: keras_tuner.Tuner),
    PrivateName("HyperParameters()", "_retrieve",
                "every hp.Choice/Int/... passes it: records note the knobs a build really read (search.sweep.knobs)",
                _retrieve_owner),
    PrivateName("keras_tuner.src.protos", "get_service_grpc",
                "registers Keras Tuner's own gRPC oracle service on the chief's server",
                _import("keras_tuner.src.protos")),
    PrivateName("keras_tuner.src.distribute.oracle_chief", "OracleServicer",
                "Keras Tuner's gRPC servicer, served by our chief (its start_server blocks and never returns)",
                _import("keras_tuner.src.distribute.oracle_chief")),
    PrivateName("protos.get_service_grpc()", "add_OracleServicer_to_server",
                "the generated gRPC registration of that servicer", lambda: _import("keras_tuner.src.protos")()
                .get_service_grpc()),
    PrivateName("OracleServicer(oracle)", "stop_triggered",
                "True once the chief told a worker the search is over: when a chief with remote workers may stop",
                lambda: oracle_servicer(_grid_oracle())),
)


# -- the grid oracle's resume (keras-team/keras-tuner#1055) --------------------


def rebuild_grid_walk(oracle: Any, ordered_trial_ids: list[str]) -> None:
    """Give a reloaded GridSearchOracle the frontier of its walk back.

    Keras Tuner keeps the walk's order only in memory, so a reloaded grid
    search thinks it is finished after the first trials
    (keras-team/keras-tuner#1055). Remove this when upstream persists it.
    """
    from keras_tuner.src.tuners.gridsearch import LinkedList

    oracle._ordered_ids = LinkedList()
    previous = None
    for trial_id in ordered_trial_ids:
        oracle._ordered_ids.insert(trial_id, previous)
        previous = trial_id
    # Every tried configuration may have an untried successor.
    oracle._populate_next = list(ordered_trial_ids)


def grid_compare(oracle: Any, a: dict, b: dict) -> int:
    """The grid oracle's own order of two configurations' values (<0, 0, >0)."""
    return oracle._compare(a, b)


# -- state files ------------------------------------------------------------------


def oracle_project_dir(oracle: Any) -> str:
    return oracle._project_dir


def oracle_file(oracle: Any) -> str:
    return oracle._get_oracle_fname()


def trial_dir(oracle: Any, trial_id: str) -> str:
    return oracle._get_trial_dir(trial_id)


def set_project_dir(oracle: Any, directory: str | os.PathLike, project_name: str) -> None:
    oracle._set_project_dir(str(directory), project_name)


class TrialStateHook:
    """Mixed into an oracle: Keras Tuner's private `_save_trial` hook calls
    our `write_trial_state`, so subclasses override a name of ours."""

    def _save_trial(self, trial):
        return self.write_trial_state(trial)

    def write_trial_state(self, trial) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


def tuner_file(tuner: Any) -> str:
    return tuner._get_tuner_fname()


def is_worker(tuner: Any) -> bool:
    return bool(tuner._is_worker())


# -- the retry queue ---------------------------------------------------------------


def retry_queue(oracle: Any) -> list[str]:
    """The trial ids waiting to be handed out again (read-only view)."""
    return list(oracle._retry_queue)


def requeue(oracle: Any, trial_id: str) -> None:
    """Put a trial back into the retry queue, as Keras Tuner's reload does with
    every trial that was running when its chief died."""
    oracle._retry_queue.append(trial_id)


# -- console -----------------------------------------------------------------------


def quiet_failed_trials() -> None:
    """Keras Tuner prints the traceback of every failed trial while its DEBUG
    flag is on (the default); our records keep it instead."""
    from keras_tuner.src import config

    config.DEBUG = False


# -- knobs a build reads -------------------------------------------------------------


def wrap_retrieve(hp: Any, wrapper: Callable[[Callable[[Any], Any]], Callable[[Any], Any]]) -> Callable[[], None]:
    """Route every hyperparameter `hp` hands out through `wrapper(original)`;
    returns the function that undoes it."""
    original = hp._retrieve
    hp._retrieve = wrapper(original)

    def undo() -> None:
        del hp._retrieve

    return undo


# -- the chief's gRPC service ---------------------------------------------------------


def oracle_servicer(oracle: Any) -> Any:
    """Keras Tuner's gRPC servicer for `oracle` (its `stop_triggered` turns True
    once some worker has been told that the search is over)."""
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    return OracleServicer(oracle)


def add_servicer_to_server(servicer: Any, server: Any) -> None:
    from keras_tuner.src import protos

    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
