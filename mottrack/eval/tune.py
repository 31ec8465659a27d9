"""``python -m mottrack.eval tune``: search a tracker's parameters on a dataset with Optuna.

Needs the ``[tune]`` extra (``pip install 'mottrack[tune]'``: Optuna >= 3).

* Ranges per constructor parameter, from the command line (``--range NAME=SPEC``) or a JSON
  file (``{"NAME": "SPEC", ...}``); SPEC is ``LOW:HIGH`` (float), ``LOW:HIGH:int``,
  ``LOW:HIGH:log``, ``LOW:HIGH:STEP`` (a float or int grid) or ``A,B,C`` (choices).
* Objective: HOTA, IDF1, MOTA (COMBINED over the sequences, percent) or a weighted mix
  ``HOTA=0.5,IDF1=0.3,MOTA=0.2``; maximised.
* Samplers: ``grid`` (every combination of the grid/choice ranges), ``random``, ``tpe``;
  seeded (``--seed``), so a single-process search is reproducible.
* ``--jobs N`` worker processes share one study through its storage: an SQLite file by default
  (``OUT/tune.db``), any RDB URL (``postgresql://...``, ``mysql://...``) or a journal file
  (``journal:PATH``) for several machines; ``--trials`` is the study's total, so running the
  same command again (or on another machine against the same storage) resumes it.
* Writes ``OUT/best_params.json``, ``OUT/trials.csv`` and ``OUT/tune_params.png`` (each
  parameter against the objective) and prints the best trial and the top of the table.

Every trial tracks the sequences with a fresh tracker (at each sequence's frame rate, with
the tracker's default score gate unless ``--min-score``) and scores them with the
TrackEval-exact metrics; the fixed ``--param`` values apply to every trial.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .errors import InputError

__all__ = ["ParamRange", "parse_range", "parse_objective", "objective_value", "TuneSetup",
           "run_trial", "run_study", "build_tune_parser", "main", "make_storage",
           "fail_interrupted_trials"]

OBJECTIVE_KEYS = ("HOTA", "IDF1", "MOTA")
SAMPLERS = ("tpe", "random", "grid")


def _optuna():
    try:
        import optuna
    except ImportError:
        from .errors import InputError
        raise InputError("tune needs Optuna: pip install 'mottrack[tune]'") from None
    return optuna


# --------------------------------------------------------------------------- ranges


@dataclass(frozen=True)
class ParamRange:
    """One searched parameter.

    Attributes
    ----------
    name : str
    kind : {'float', 'int', 'choice'}
    low, high : float
        Bounds (float/int kinds).
    step : float or None
        Grid step (float/int kinds); None for a continuous range.
    log : bool
        Sample on a log scale.
    choices : tuple
        The values (choice kind).
    """

    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    step: float | None = None
    log: bool = False
    choices: tuple = ()

    def grid(self) -> list:
        """The values a grid search takes (``ValueError`` for a continuous range)."""
        if self.kind == "choice":
            return list(self.choices)
        if self.step is None:
            raise ValueError(f"range {self.name}: grid search needs a step (LOW:HIGH:STEP) or "
                             "a list of values (A,B,C)")
        n = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
        vals = [self.low + k * self.step for k in range(n)]
        return [int(round(v)) for v in vals] if self.kind == "int" else \
            [round(v, 12) for v in vals]

    def suggest(self, trial) -> Any:
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high),
                                     step=int(self.step or 1), log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, step=self.step, log=self.log)


def _number(s: str, what: str) -> float:
    try:
        return float(s)
    except ValueError:
        raise ValueError(f"{what}: expected a number, got {s!r}") from None


def parse_range(text: str) -> ParamRange:
    """``NAME=SPEC`` (see the module docstring) -> :class:`ParamRange`."""
    from .cli_args import parse_value as _parse_value
    if "=" not in text:
        raise ValueError(f"--range {text!r}: expected NAME=LOW:HIGH[:int|:log|:STEP] or NAME=A,B,C")
    name, spec = (x.strip() for x in text.split("=", 1))
    if not name or not spec:
        raise ValueError(f"--range {text!r}: expected NAME=SPEC")
    return range_from_spec(name, spec, _parse_value)


def range_from_spec(name: str, spec: Any, parse=None) -> ParamRange:
    if isinstance(spec, list):
        if not spec:
            raise ValueError(f"range {name}: empty list of values")
        return ParamRange(name, "choice", choices=tuple(spec))
    spec = str(spec)
    if ":" not in spec:
        vals = [v.strip() for v in spec.split(",") if v.strip()]
        if not vals:
            raise ValueError(f"range {name}: no values in {spec!r}")
        return ParamRange(name, "choice", choices=tuple(parse(v) if parse else v for v in vals))
    parts = spec.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"range {name}: expected LOW:HIGH[:int|:log|:STEP], got {spec!r}")
    low, high = _number(parts[0], f"range {name} LOW"), _number(parts[1], f"range {name} HIGH")
    if not low < high:
        raise ValueError(f"range {name}: LOW must be below HIGH, got {spec!r}")
    kind, step, log = "float", None, False
    if len(parts) == 3:
        mod = parts[2].strip().lower()
        if mod == "int":
            kind = "int"
        elif mod == "log":
            log = True
            if low <= 0:
                raise ValueError(f"range {name}: a log range needs LOW > 0, got {spec!r}")
        else:
            step = _number(mod, f"range {name} STEP")
            if not step > 0:
                raise ValueError(f"range {name}: STEP must be > 0, got {spec!r}")
            if all(float(x).is_integer() for x in (low, high, step)):
                kind = "int"
    if kind == "int" and not (float(low).is_integer() and float(high).is_integer()):
        raise ValueError(f"range {name}: an int range needs whole bounds, got {spec!r}")
    return ParamRange(name, kind, low, high, step, log)


def load_ranges(path: str | os.PathLike) -> list[ParamRange]:
    """Ranges from a JSON file ``{"NAME": "LOW:HIGH" | [values], ...}``."""
    from .cli_args import parse_value as _parse_value
    try:
        doc = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not doc:
        raise ValueError(f"{path}: expected a JSON object {{\"NAME\": \"LOW:HIGH\", ...}}")
    return [range_from_spec(k, v, _parse_value) for k, v in doc.items()]


def parse_objective(text: str) -> dict[str, float]:
    """``HOTA`` or ``HOTA=0.5,IDF1=0.5`` -> ``{metric: weight}``."""
    out: dict[str, float] = {}
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        key, _, w = part.partition("=")
        key = key.strip().upper()
        if key not in OBJECTIVE_KEYS:
            raise ValueError(f"objective: unknown metric {key!r}; choose from "
                             f"{', '.join(OBJECTIVE_KEYS)} (or a weighted mix HOTA=0.5,IDF1=0.5)")
        out[key] = _number(w, f"objective weight of {key}") if w else 1.0
    if not out or sum(out.values()) <= 0:
        raise ValueError(f"objective {text!r}: needs a metric with a positive weight")
    return out


def objective_value(summary: Mapping[str, Any], weights: Mapping[str, float]) -> float:
    """Weighted mean of the metrics (percent) in ``summary``; undefined metrics count 0."""
    tot = sum(weights.values())
    return sum(w * float(summary.get(k) or 0.0) for k, w in weights.items()) / tot


# --------------------------------------------------------------------------- trials


@dataclass
class TuneSetup:
    """What every trial needs: the tracker, the sequences and the fixed settings."""

    tracker: str
    seqs: list
    ranges: list
    weights: dict
    fixed: dict
    min_score: Any = "default"


def mottrack_scorer(seqs, results) -> dict:
    """COMBINED summary of the TrackEval-exact metrics over ``seqs``."""
    from .metrics import combine_sequences
    from .scoring import score_one
    return combine_sequences([score_one(s, results[s.name]) for s in seqs if s.gt is not None]
                             ).summary()


def run_trial(setup: TuneSetup, params: Mapping[str, Any],
              scorer: Callable[[Sequence, Mapping], dict] = mottrack_scorer) -> dict:
    """Track every sequence with ``params`` (plus the fixed ones) and score them."""
    from .run import run_tracker
    p = {**setup.fixed, **params}
    results = {s.name: run_tracker(setup.tracker, s, p, setup.min_score, warmup=False).results
               for s in setup.seqs}
    return scorer(setup.seqs, results)


def _objective(setup: TuneSetup, scorer, n_trials: int):
    optuna = _optuna()
    from optuna.trial import TrialState

    def f(trial):
        trial.set_user_attr("worker", _worker_tag())
        # trials that started before this one and count: past n_trials, stop (parallel workers)
        before = sum(t.number < trial.number and t.state in (TrialState.COMPLETE, TrialState.RUNNING)
                     for t in trial.study.get_trials(deepcopy=False))
        if before >= n_trials:
            trial.study.stop()
            raise optuna.TrialPruned("the study has its trials")
        params = {r.name: r.suggest(trial) for r in setup.ranges}
        summ = run_trial(setup, params, scorer)
        for k in OBJECTIVE_KEYS:
            v = summ.get(k)
            trial.set_user_attr(k, None if v is None else float(v))
        return objective_value(summ, setup.weights)
    return f


def _worker_tag() -> str:
    import socket
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process
        return True
    return True


def fail_interrupted_trials(study) -> int:
    """Mark as failed the RUNNING trials of this machine whose worker process is gone (an
    interrupted run), so that resuming runs the study to its full count; returns how many."""
    import socket
    from optuna.trial import TrialState
    host = socket.gethostname()
    n = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        tag = str(t.user_attrs.get("worker", ""))
        h, _, pid = tag.rpartition(":")
        if h == host and pid.isdigit() and not _alive(int(pid)):
            study._storage.set_trial_state_values(t._trial_id, state=TrialState.FAIL)
            n += 1
    return n


def check_storage(spec: str | None) -> None:
    """A ``--storage`` file (``journal:PATH``, a ``.db`` path or ``sqlite:///PATH``) must be in an
    existing folder; raises :class:`~mottrack.eval.errors.InputError` naming it otherwise."""
    if spec is None:
        return
    if spec.startswith("journal:"):
        path = spec[len("journal:"):]
    elif spec.startswith("sqlite:///"):
        path = spec[len("sqlite:///"):]
    elif "://" in spec:
        return  # another database server: its own errors name it
    else:
        path = spec
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise InputError(f"--storage {spec}: folder {folder} does not exist (create it, or pass "
                         "a file in an existing folder)")


def make_storage(spec: str | None, out_dir: Path):
    """An Optuna storage: ``journal:PATH``, an RDB URL, a ``.db`` path, or None (SQLite file
    ``out_dir/tune.db``)."""
    optuna = _optuna()
    if spec is None:
        spec = f"sqlite:///{(out_dir / 'tune.db').resolve()}"
    elif spec.startswith("journal:"):
        path = spec[len("journal:"):]
        try:
            from optuna.storages.journal import JournalFileBackend
            backend = JournalFileBackend(path)
        except ImportError:  # optuna 3.x
            backend = optuna.storages.JournalFileStorage(path)
        return optuna.storages.JournalStorage(backend)
    elif "://" not in spec:
        spec = f"sqlite:///{Path(spec).resolve()}"
    # heartbeats let other machines fail the trials of a worker that died
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(spec, engine_kwargs={"connect_args": {"timeout": 60}}
                                          if spec.startswith("sqlite") else None,
                                          heartbeat_interval=60, grace_period=180)


def _sampler(kind: str, ranges: Sequence[ParamRange], seed: int | None):
    optuna = _optuna()
    if kind == "grid":
        return optuna.samplers.GridSampler({r.name: r.grid() for r in ranges}, seed=seed)
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def _worker(setup, study_name, storage_spec, out_dir, sampler, seed, n_trials, scorer):
    optuna = _optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = make_storage(storage_spec, out_dir)
    study = optuna.load_study(study_name=study_name, storage=storage,
                              sampler=_sampler(sampler, setup.ranges, seed))
    from optuna.trial import TrialState
    done = sum(t.state == TrialState.COMPLETE for t in study.get_trials(deepcopy=False))
    if done < n_trials:
        study.optimize(_objective(setup, scorer, n_trials), n_trials=n_trials - done, catch=())


def run_study(setup: TuneSetup, *, out_dir: str | os.PathLike, trials: int = 50,
              sampler: str = "tpe", jobs: int = 1, storage: str | None = None,
              study_name: str | None = None, seed: int | None = 0,
              scorer: Callable = mottrack_scorer):
    """Run (or resume) a study to ``trials`` finished trials; returns the Optuna study."""
    optuna = _optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}; got {sampler!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if sampler == "grid":
        size = math.prod(len(r.grid()) for r in setup.ranges)
        trials = min(trials, size)
    jobs = max(1, min(int(jobs), trials))  # no more workers than trials
    name = study_name or f"{setup.tracker}-" + "-".join(r.name for r in setup.ranges)
    st = make_storage(storage, out)
    study = optuna.create_study(study_name=name, storage=st, direction="maximize",
                                load_if_exists=True)
    fail_interrupted_trials(study)
    if jobs <= 1:
        _worker(setup, name, storage, out, sampler, seed, trials, scorer)
    else:
        import multiprocessing as mp
        ctx: Any = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        procs = [ctx.Process(target=_worker, args=(setup, name, storage, out, sampler,
                                                   None if seed is None else seed + k, trials,
                                                   scorer)) for k in range(jobs)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        bad = [p.exitcode for p in procs if p.exitcode]
        if bad:
            raise RuntimeError(f"{len(bad)} tune worker process(es) failed (exit codes "
                               f"{', '.join(map(str, bad))}); the study in its storage keeps "
                               "the finished trials, rerun to resume")
    return optuna.load_study(study_name=name, storage=make_storage(storage, out))


# --------------------------------------------------------------------------- reports


def trial_rows(study) -> list[dict]:
    """One dict per finished trial: number, value, HOTA, IDF1, MOTA, params, seconds."""
    from optuna.trial import TrialState
    rows = []
    for t in study.get_trials(deepcopy=False):
        if t.state != TrialState.COMPLETE:
            continue
        dur = (t.datetime_complete - t.datetime_start).total_seconds() \
            if t.datetime_complete and t.datetime_start else None
        rows.append({"trial": t.number, "value": t.value,
                     **{k: t.user_attrs.get(k) for k in OBJECTIVE_KEYS},
                     **{f"param:{k}": v for k, v in t.params.items()}, "seconds": dur})
    return rows


def write_reports(study, out_dir: str | os.PathLike, plots: bool = True) -> list[Path]:
    """``best_params.json``, ``trials.csv`` and (matplotlib installed) ``tune_params.png``."""
    out = Path(out_dir)
    rows = trial_rows(study)
    if not rows:
        raise RuntimeError("no trial finished")
    best = study.best_trial
    paths = [out / "best_params.json", out / "trials.csv"]
    paths[0].write_text(json.dumps({"value": best.value, "trial": best.number,
                                    "params": best.params,
                                    "metrics": {k: best.user_attrs.get(k) for k in OBJECTIVE_KEYS}},
                                   indent=2) + "\n")
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with open(paths[1], "w", newline="") as fh:
        w = csv.DictWriter(fh, keys)
        w.writeheader()
        w.writerows(rows)
    if plots:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return paths
        pnames = [k for k in keys if k.startswith("param:")]
        fig, axes = plt.subplots(1, max(1, len(pnames)), figsize=(4 * max(1, len(pnames)), 3.2),
                                 squeeze=False)
        for ax, k in zip(axes[0], pnames):
            xs = [r[k] for r in rows]
            ys = [r["value"] for r in rows]
            if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs):
                ax.scatter(xs, ys, s=14, alpha=0.7)
            else:
                cats = sorted({str(x) for x in xs})
                ax.scatter([cats.index(str(x)) for x in xs], ys, s=14, alpha=0.7)
                ax.set_xticks(range(len(cats)), cats)
            ax.axvline(best.params[k[6:]] if not isinstance(best.params[k[6:]], str) else
                       sorted({str(x) for x in xs}).index(best.params[k[6:]]),
                       color="tab:red", lw=0.8)
            ax.set_xlabel(k[6:])
            ax.set_ylabel("objective")
        fig.tight_layout()
        p = out / "tune_params.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        paths.append(p)
    return paths


# --------------------------------------------------------------------------- CLI


def build_tune_parser() -> argparse.ArgumentParser:
    from .cli_args import PROG, add_data_args as _add_data_args, jobs as _jobs, min_score as _min_score
    p = argparse.ArgumentParser(
        prog=f"{PROG} tune", description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  %(prog)s ../shared/data/MOT17 --tracker bytetrack --seqs "
               "MOT17-02-FRCNN,MOT17-04-FRCNN,MOT17-05-FRCNN,MOT17-09-FRCNN \\\n"
               "      --det-file ../shared/data/MOT17/dets/yolox_x_ablation --frames second-half "
               "\\\n      --range track_thresh=0.4:0.8 --range match_thresh=0.6:0.95 "
               "--range track_buffer=10:60:int \\\n      --objective HOTA --trials 100 --jobs 2 "
               "--out tune_bytetrack")
    p.add_argument("data_root", metavar="DATA_ROOT", help="dataset (as for the main command)")
    p.add_argument("--tracker", required=True, help="registered tracker name")
    p.add_argument("--range", action="append", default=[], metavar="NAME=SPEC",
                   help="searched parameter: LOW:HIGH, LOW:HIGH:int, LOW:HIGH:log, "
                        "LOW:HIGH:STEP or A,B,C; repeatable")
    p.add_argument("--ranges-file", metavar="JSON", help='ranges from a file {"NAME": "SPEC"}')
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="fixed constructor parameter for every trial, repeatable")
    p.add_argument("--objective", default="HOTA",
                   help="HOTA, IDF1, MOTA or a weighted mix HOTA=0.5,IDF1=0.5 (default HOTA)")
    p.add_argument("--sampler", choices=SAMPLERS, default="tpe", help="default tpe")
    p.add_argument("--trials", type=int, default=50,
                   help="total finished trials of the study (resuming continues to it; grid: "
                        "at most the grid size)")
    p.add_argument("--jobs", type=_jobs, default=1, metavar="N", help="worker processes")
    p.add_argument("--storage", metavar="URL|FILE|journal:FILE",
                   help="Optuna storage shared by the workers (default: SQLite OUT/tune.db); an "
                        "RDB URL or a journal file lets several machines work on one study")
    p.add_argument("--study", metavar="NAME", help="study name (default from tracker and ranges)")
    p.add_argument("--seed", type=int, default=0, help="sampler seed (worker k uses seed + k)")
    p.add_argument("--min-score", type=_min_score, default=None, metavar="S",
                   help="detection score gate, or 'none' (default: the tracker's)")
    p.add_argument("--out", metavar="DIR", default="tune_out",
                   help="best_params.json, trials.csv, tune_params.png (and tune.db) here")
    p.add_argument("--det-file", metavar="NAME|DIR", action="append",
                   help="detection files, as for the main command")
    p.add_argument("--embeddings", metavar="DIR", help="DeepSORT .npy files")
    p.add_argument("--no-plots", action="store_true", help="skip tune_params.png")
    p.add_argument("--no-progress", action="store_true",
                   help="accepted like the other commands' (tune prints one line per run, no bar)")
    _add_data_args(p)
    return p


def main(argv: Sequence[str]) -> int:
    from .cli_args import CliError, det_files as _det_files, split_csv as _split_csv, parse_value as _parse_value
    from .datasets import load_dataset
    from .run import available, tracker_class
    args = build_tune_parser().parse_args(list(argv))
    out = sys.stdout
    name = args.tracker.lower()
    if name not in available():
        raise CliError(f"unknown tracker {args.tracker!r}; available: {', '.join(available())}")
    try:
        ranges = [parse_range(r) for r in args.range]
        if args.ranges_file:
            ranges += load_ranges(args.ranges_file)
        weights = parse_objective(args.objective)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if not ranges:
        raise CliError("give at least one --range NAME=SPEC (or --ranges-file)")
    fixed = {}
    for item in args.param or ():
        k, eq, v = item.partition("=")
        if not eq:
            raise CliError(f"--param {item!r}: expected NAME=VALUE")
        fixed[k.strip().split(".", 1)[-1]] = _parse_value(v)
    from .cli_args import check_tracker_params, check_writable
    check_tracker_params([name], {name: fixed})  # a bad --param is blamed on --param
    probe = {**fixed, **{r.name: (r.grid()[0] if r.kind == "choice" or r.step else
                                  (int(r.low) if r.kind == "int" else r.low)) for r in ranges}}
    from ..registry import create_tracker
    try:
        create_tracker(name, **probe)
    except (ValueError, TypeError) as exc:
        raise CliError(f"--range {', '.join(r.name for r in ranges)}: {exc}") from None
    if args.sampler == "grid":
        try:
            [r.grid() for r in ranges]
        except ValueError as exc:
            raise CliError(str(exc)) from None
    if args.trials < 1:
        raise CliError("--trials must be >= 1")
    check_writable(args.out, "--out", is_dir=True)
    check_storage(args.storage)
    seqs = load_dataset(args.data_root, split=args.split, seqs=_split_csv(args.seqs),
                        det_file=_det_files(args.det_file), frames=args.frames,
                        embeddings=args.embeddings, benchmark=args.benchmark,
                        kitti_class=args.kitti_class)
    if tracker_class(name).embeddings == "required" and any(s.embeddings is None for s in seqs):
        raise CliError(f"{name} needs appearance embeddings (pass --embeddings DIR)")
    gate = "default" if "--min-score" not in argv else args.min_score
    setup = TuneSetup(name, seqs, ranges, weights, fixed, gate)
    print(f"tune {name} on {len(seqs)} sequences ({sum(s.num_eval_frames for s in seqs)} frames): "
          f"{', '.join(r.name for r in ranges)}; objective "
          f"{' + '.join(f'{w:g}*{k}' for k, w in weights.items())}; sampler {args.sampler}; "
          f"{args.trials} trials; {args.jobs} process(es)", file=out)
    run_trial(setup, {r.name: p for r, p in zip(ranges, [probe[r.name] for r in ranges])})  # compile once
    t0 = time.perf_counter()
    study = run_study(setup, out_dir=args.out, trials=args.trials, sampler=args.sampler,
                      jobs=args.jobs, storage=args.storage, study_name=args.study, seed=args.seed)
    dt = time.perf_counter() - t0
    paths = write_reports(study, args.out, plots=not args.no_plots)
    rows = sorted(trial_rows(study), key=lambda r: -r["value"])
    best = study.best_trial
    print(f"best trial {best.number}: objective {best.value:.3f} ("
          + ", ".join(f"{k} {best.user_attrs.get(k):.2f}" for k in OBJECTIVE_KEYS
                      if best.user_attrs.get(k) is not None) + ")", file=out)
    print("  params: " + ", ".join(f"{k}={v!r}" for k, v in best.params.items()), file=out)
    from .tables import text_table
    pk = [k for k in rows[0] if k.startswith("param:")]
    cells = [[str(r["trial"]), f"{r['value']:.3f}",
              *(f"{r[k]:.2f}" if r[k] is not None else "-" for k in OBJECTIVE_KEYS),
              *(f"{r[k]:.4g}" if isinstance(r[k], float) else str(r[k]) for k in pk)]
             for r in rows[:10]]
    print(text_table(["trial", "objective", *OBJECTIVE_KEYS, *(k[6:] for k in pk)], cells,
                     group_by=None), file=out)
    print(f"{len(rows)} finished trials in the study; this run {dt:.1f} s; wrote "
          + ", ".join(str(p) for p in paths), file=out)
    return 0
