"""The pipeline: method resolution, failure isolation, timing, params, seeds, parallel runs."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
import sympy as sp
from sklearn.base import clone

import discover
from discover import registry
from discover.base import Interval, Method, Options, validate_params
from discover.errors import DiscoverError, MethodError, ParameterError
from discover.findings import Equation, Graph, Simulation


class Mean(Method):
    """A toy method: each variable's equation is its mean (kind "algebraic")."""

    name = "mean"
    _parameter_constraints = {"scale": [Interval(float, 0, None, closed="neither")],
                              "random_state": ["random_state"]}

    def __init__(self, scale=1.0, random_state=None):
        self.scale = scale
        self.random_state = random_state

    def fit(self, series, y=None):
        self._validate_params()
        self.means_ = series.x.mean(axis=0) * self.scale
        self.variables_ = series.variables
        self.noise_ = np.random.default_rng(self.random_state).normal()
        return self

    def findings(self):
        return [Equation(v, sp.Float(m), kind="algebraic", method=self.name, metrics={"noise": self.noise_})
                for v, m in zip(self.variables_, self.means_)]


class Boom(Method):
    name = "boom"

    def __init__(self, where="fit"):
        self.where = where

    def fit(self, series, y=None):
        if self.where == "fit":
            raise np.linalg.LinAlgError("Singular matrix")
        return self

    def findings(self):
        raise RuntimeError("findings exploded")


class Linked(Method):
    """Gives a graph and a simulation, so the report carries several kinds of finding."""

    name = "linked"

    def fit(self, series, y=None):
        self.series_ = series
        return self

    def findings(self):
        g = nx.DiGraph()
        g.add_nodes_from(self.series_.variables)
        g.add_edge(self.series_.variables[0], self.series_.variables[-1], weight=1.5, lag=0, score=0.8)
        tr = self.series_.trajectories[0]
        return [Graph(g, "interaction", self.name), Simulation(tr.t, tr.x, self.series_.variables, self.name)]


@pytest.fixture
def series():
    t = np.linspace(0, 1, 50)
    return discover.from_arrays(np.c_[np.sin(t), np.cos(t), t], t=t, names=["a", "b", "c"])


def test_failure_of_one_method_keeps_the_others(series):
    report = discover.fit(series, [Mean(), Boom(), Boom(where="findings"), Linked()])
    assert report.methods["mean"].status == "ok"
    assert report.methods["linked"].status == "ok"
    assert report.methods["boom"].status == "failed"
    assert "LinAlgError: Singular matrix" in report.methods["boom"].error
    assert report.methods["boom-2"].status == "failed"
    assert "findings exploded" in report.methods["boom-2"].error
    assert report.failed == ["boom", "boom-2"]
    assert len(report.equations) == 3 and len(report.graphs) == 1 and len(report.simulations) == 1
    assert all(r.seconds >= 0 for r in report.methods.values())


def test_params_are_recorded_and_seed_is_passed(series):
    report = discover.fit(series, [Mean(scale=2.0)], seed=7)
    assert report.methods["mean"].params == {"scale": 2.0, "random_state": 7}
    again = discover.fit(series, [Mean(scale=2.0)], seed=7)
    assert report.equations[0].metrics["noise"] == again.equations[0].metrics["noise"]
    other = discover.fit(series, [Mean(scale=2.0)], seed=8)
    assert report.equations[0].metrics["noise"] != other.equations[0].metrics["noise"]
    # an explicit random_state wins over the pipeline's seed
    fixed = discover.fit(series, [Mean(random_state=3)], seed=7)
    assert fixed.methods["mean"].params["random_state"] == 3


def test_estimators_given_are_cloned_not_modified(series):
    est = Mean()
    discover.fit(series, [est])
    assert not hasattr(est, "means_")


def test_parameter_validation_message_shape(series):
    report = discover.fit(series, [Mean(scale=-1.0)])
    assert report.methods["mean"].status == "failed"
    assert ("The 'scale' parameter of Mean must be a float in the range (0, inf). Got -1.0 instead."
            in report.methods["mean"].error)


def test_validate_params_direct():
    cons = {"k": [Interval(int, 1, None)], "mode": [Options("a", "b"), None]}
    validate_params("X", {"k": 2, "mode": None}, cons)
    with pytest.raises(ParameterError, match=r"The 'k' parameter of X must be an int in the range \[1, inf\)\. Got 0"):
        validate_params("X", {"k": 0}, cons)
    with pytest.raises(ParameterError, match=r"must be one of 'a', 'b' or None\. Got 'c' instead"):
        validate_params("X", {"mode": "c"}, cons)
    with pytest.raises(ParameterError):
        validate_params("X", {"k": True}, cons)  # bools are not ints here
    with pytest.raises(ValueError):  # ParameterError is also a ValueError
        validate_params("X", {"k": 1.5}, cons)


def test_sklearn_conventions():
    est = Mean(scale=3.0)
    assert est.get_params() == {"scale": 3.0, "random_state": None}
    c = clone(est)
    assert c is not est and c.get_params() == est.get_params()
    est.set_params(scale=4.0)
    assert est.scale == 4.0


def test_unknown_method_lists_the_available_ones(series):
    with pytest.raises(MethodError, match="Unknown method 'nope'. Available methods:"):
        discover.fit(series, ["nope"])
    with pytest.raises(MethodError, match="empty"):
        discover.fit(series, [])
    assert isinstance(MethodError("x"), DiscoverError) and isinstance(MethodError("x"), LookupError)


def test_registry_offers_only_present_methods():
    names = [s.name for s in registry.available()]
    for n in names:
        assert registry.REGISTRY[n].present()
    assert set(registry.quick_methods()) <= set(names)
    with pytest.raises(MethodError):
        registry.get("does-not-exist")


def test_registered_method_config_and_errors(series, monkeypatch):
    monkeypatch.setitem(registry.REGISTRY, "mean", registry.MethodSpec(
        "mean", f"{__name__}:Mean", quick=False, summary="toy"))
    report = discover.fit(series, ["mean"], config={"mean": {"scale": 10.0}})
    assert report.methods["mean"].params["scale"] == 10.0
    with pytest.raises(ParameterError, match="Unknown option.*'mean'.*bogus"):
        discover.fit(series, ["mean"], config={"mean": {"bogus": 1}})
    with pytest.raises(MethodError, match="not run: other"):
        discover.fit(series, ["mean"], config={"other": {}})
    both = discover.fit(series, "mean, mean")
    assert list(both.methods) == ["mean", "mean-2"]


def test_parallel_across_methods_matches_serial(series):
    serial = discover.fit(series, [Mean(), Linked(), Boom()], seed=1)
    par = discover.fit(series, [Mean(), Linked(), Boom()], seed=1, n_jobs=2, backend="threading")
    assert [r.status for r in par.methods.values()] == [r.status for r in serial.methods.values()]
    assert par.equations == serial.equations


def test_report_json_of_pipeline_run(series, tmp_path):
    report = discover.fit(series, [Mean(), Linked(), Boom()])
    d = json.loads(report.to_json())
    assert d["schema"] == "discover.report/1"
    assert d["methods"]["boom"]["status"] == "failed"
    assert d["series"]["variables"] == ["a", "b", "c"]
    assert d["graphs"][0]["edges"][0] == {"source": "a", "target": "c", "lag": 0, "weight": 1.5,
                                          "score": 0.8, "selected": True}


def _square(v):
    return v * v


def test_parallel_map_local_pool_keeps_order():
    from discover.parallel import parallel_map

    assert parallel_map(_square, [(i,) for i in range(6)], n_jobs=2) == [0, 1, 4, 9, 16, 25]


def test_pipeline_on_a_dask_local_cluster(series):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        report = discover.fit(series, [Mean(), Boom()], n_jobs=2, backend="dask")
    assert report.methods["mean"].status == "ok"
    assert report.methods["boom"].status == "failed"


class Noisy(Method):
    """Warns many times while fitting, like an optimizer that does not converge."""

    name = "noisy"

    def fit(self, series, y=None):
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        for _ in range(5):
            warnings.warn("Objective did not converge", ConvergenceWarning, stacklevel=1)
        warnings.warn("step too large", RuntimeWarning, stacklevel=1)
        return self

    def findings(self):
        return []


def test_warnings_are_recorded_per_method_not_printed(series, recwarn):
    report = discover.fit(series, [Noisy(), Mean()])
    assert report.methods["noisy"].warnings == ["ConvergenceWarning: Objective did not converge (x5)",
                                                "RuntimeWarning: step too large"]
    assert report.methods["mean"].warnings == []
    assert len(recwarn) == 0
    d = json.loads(report.to_json())
    assert d["methods"]["noisy"]["warnings"][0].endswith("(x5)")
    from discover.report import validate

    validate(d)
    assert "Objective did not converge (x5)" in report.to_markdown()
    assert "Objective did not converge (x5)" in report.to_html()
    assert discover.report.Report.from_dict(d).methods["noisy"].warnings == d["methods"]["noisy"]["warnings"]
