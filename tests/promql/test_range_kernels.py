"""Tests for ember/promql/range_kernels.py: a plain-Python reference of every range function (written
from Prometheus 3's promql/functions.go), compared with the compiled kernels by hypothesis, plus
hand-checked cases."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ember.errors import BadDataError, ExecutionError
from ember.promql.range_kernels import PARAM_COUNTS, eval_range_function, window_bounds
from tests.promql.reference_math import kahan_inc

Window = list[tuple[int, float]]  # (timestamp ms, value) of one window, in time order


# ---------------------------------------------------------------- plain-Python reference




def ref_extrapolated(w: Window, t: int, rng: int, is_counter: bool, is_rate: bool) -> float | None:
    if len(w) < 2:
        return None
    result = w[-1][1] - w[0][1]
    if is_counter:
        for (_, prev), (_, cur) in itertools.pairwise(w):
            if cur < prev:
                result += prev
    to_start = (w[0][0] - (t - rng)) / 1000
    to_end = (t - w[-1][0]) / 1000
    sampled = (w[-1][0] - w[0][0]) / 1000
    avg_gap = sampled / (len(w) - 1)
    if to_start >= avg_gap * 1.1:
        to_start = avg_gap / 2
    if is_counter:
        to_zero = to_start
        if result > 0 and w[0][1] >= 0:
            to_zero = sampled * (w[0][1] / result)
        if to_zero < to_start:
            to_start = to_zero
    if to_end >= avg_gap * 1.1:
        to_end = avg_gap / 2
    factor = (sampled + to_start + to_end) / sampled
    if is_rate:
        factor /= rng / 1000
    return result * factor


def ref_instant(w: Window, is_rate: bool) -> float | None:
    if len(w) < 2:
        return None
    (t0, v0), (t1, v1) = w[-2], w[-1]
    if t1 == t0:
        return None
    result = v1 if is_rate and v1 < v0 else v1 - v0
    return result / ((t1 - t0) / 1000) if is_rate else result


def ref_regression(w: Window, at: int) -> tuple[float, float]:
    n = 0.0
    sx = cx = sy = cy = sxy = cxy = sx2 = cx2 = 0.0
    const_y = all(v == w[0][1] for _, v in w[1:])
    for ts, v in w:
        n += 1
        x = (ts - at) / 1e3
        sx, cx = kahan_inc(x, sx, cx)
        sy, cy = kahan_inc(v, sy, cy)
        sxy, cxy = kahan_inc(x * v, sxy, cxy)
        sx2, cx2 = kahan_inc(x * x, sx2, cx2)
    if const_y:
        return (math.nan, math.nan) if math.isinf(w[0][1]) else (0.0, w[0][1])
    sx, sy, sxy, sx2 = sx + cx, sy + cy, sxy + cxy, sx2 + cx2
    slope = (sxy - sx * sy / n) / (sx2 - sx * sx / n)
    return slope, sy / n - slope * sx / n


def go_sqrt(x: float) -> float:
    """Go's math.Sqrt: NaN for negative input (an overflowed variance can be -Inf)."""
    return math.sqrt(x) if not x < 0 else math.nan


def ref_sum(vals: list[float]) -> float:
    total = comp = 0.0
    for v in vals:
        total, comp = kahan_inc(v, total, comp)
    return total if math.isinf(total) else total + comp


def ref_avg(vals: list[float]) -> float:
    total, count, mean, comp, incremental = vals[0], 1.0, 0.0, 0.0, False
    for i, v in enumerate(vals[1:]):
        count = float(i + 2)
        if not incremental:
            new_total, new_comp = kahan_inc(v, total, comp)
            if not math.isinf(new_total):
                total, comp = new_total, new_comp
                continue
            incremental = True
            mean = total / (count - 1)
            comp /= count - 1
        q = (count - 1) / count
        mean, comp = kahan_inc(v / count, q * mean, q * comp)
    return mean + comp if incremental else total / count + comp / count


def ref_variance(vals: list[float]) -> float:
    count = mean = cm = aux = ca = 0.0
    for v in vals:
        count += 1
        delta = v - (mean + cm)
        mean, cm = kahan_inc(delta / count, mean, cm)
        aux, ca = kahan_inc(delta * (v - (mean + cm)), aux, ca)
    return (aux + ca) / count


def ref_extreme(w: Window, better: Callable[[float, float], bool], want_ts: bool) -> float:
    best, best_t = w[0][1], w[0][0]
    for ts, v in w:
        if better(v, best) or math.isnan(best):
            best, best_t = v, ts
    return best_t / 1000 if want_ts else best


def ref_quantile(q: float, vals: list[float]) -> float:
    if not vals or math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = [v for v in vals if math.isnan(v)] + sorted(v for v in vals if not math.isnan(v))
    rank = q * (len(ordered) - 1)
    lower = max(0, math.floor(rank))
    upper = min(len(ordered) - 1, lower + 1)
    weight = rank - math.floor(rank)
    return ordered[lower] * (1 - weight) + ordered[upper] * weight


def ref_smoothing(vals: list[float], sf: float, tf: float) -> float | None:
    if len(vals) < 2:
        return None
    s0, s1, trend = 0.0, vals[0], vals[1] - vals[0]
    for i in range(1, len(vals)):
        if i - 1 != 0:
            trend = tf * (s1 - s0) + (1 - tf) * trend
        s0, s1 = s1, sf * vals[i] + (1 - sf) * (s1 + trend)
    return s1


def ref_count_transitions(vals: list[float], counts: Callable[[float, float], bool]) -> float:
    return float(sum(1 for prev, cur in itertools.pairwise(vals) if counts(prev, cur)))


def ref_function(name: str, w: Window, t: int, rng: int, params: tuple[float, ...]) -> float | None:
    """One window of one function, or None where Prometheus yields no point."""
    vals = [v for _, v in w]
    if name in ("rate", "increase", "delta"):
        return ref_extrapolated(w, t, rng, name != "delta", name == "rate")
    if name in ("irate", "idelta"):
        return ref_instant(w, name == "irate")
    if name == "deriv":
        return ref_regression(w, w[0][0])[0] if len(w) >= 2 else None
    if name == "predict_linear":
        if len(w) < 2:
            return None
        slope, intercept = ref_regression(w, t)
        return slope * params[0] + intercept
    if name == "double_exponential_smoothing":
        return ref_smoothing(vals, params[0], params[1])
    if not w:
        return None
    table: dict[str, Callable[[], float]] = {
        "resets": lambda: ref_count_transitions(vals, lambda p, c: c < p),
        "changes": lambda: ref_count_transitions(
            vals, lambda p, c: c != p and not (math.isnan(p) and math.isnan(c))),
        "count_over_time": lambda: float(len(w)),
        "present_over_time": lambda: 1.0,
        "last_over_time": lambda: vals[-1],
        "first_over_time": lambda: vals[0],
        "ts_of_last_over_time": lambda: w[-1][0] / 1000,
        "ts_of_first_over_time": lambda: w[0][0] / 1000,
        "sum_over_time": lambda: ref_sum(vals),
        "avg_over_time": lambda: ref_avg(vals),
        "stddev_over_time": lambda: go_sqrt(ref_variance(vals)),
        "stdvar_over_time": lambda: ref_variance(vals),
        "min_over_time": lambda: ref_extreme(w, lambda c, b: c < b, False),
        "max_over_time": lambda: ref_extreme(w, lambda c, b: c > b, False),
        "ts_of_min_over_time": lambda: ref_extreme(w, lambda c, b: c <= b, True),
        "ts_of_max_over_time": lambda: ref_extreme(w, lambda c, b: c >= b, True),
        "quantile_over_time": lambda: ref_quantile(params[0], vals),
        "mad_over_time": lambda: math.nan if any(math.isnan(v) for v in vals) else ref_quantile(
            0.5, [abs(v - ref_quantile(0.5, vals)) for v in vals]),
    }
    return table[name]()


def reference(
    name: str, series: list[Window], eval_times: list[int], rng: int, params: tuple[float, ...]
) -> tuple[list[list[float]], list[list[bool]]]:
    out = [[0.0] * len(eval_times) for _ in series]
    present = [[False] * len(eval_times) for _ in series]
    for s, samples in enumerate(series):
        for j, t in enumerate(eval_times):
            window = [(ts, v) for ts, v in samples if t - rng < ts <= t]
            value = ref_function(name, window, t, rng, params)
            if value is not None:
                out[s][j], present[s][j] = value, True
    return out, present


# ---------------------------------------------------------------- helpers


def to_csr(series: list[Window]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ts = np.array([t for w in series for t, _ in w], dtype=np.int64)
    vals = np.array([v for w in series for _, v in w], dtype=np.float64)
    offsets = np.cumsum([0] + [len(w) for w in series], dtype=np.int64)
    return ts, vals, offsets


def run(name: str, series: list[Window], eval_times: list[int], rng: int,
        params: tuple[float, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    ts, vals, offsets = to_csr(series)
    return eval_range_function(name, ts, vals, offsets, np.array(eval_times, dtype=np.int64), rng, params)


def assert_same(got: np.ndarray, want: list[list[float]]) -> None:
    expected = np.array(want, dtype=np.float64).reshape(got.shape)
    both_nan = np.isnan(got) & np.isnan(expected)
    close = np.isclose(got, expected, rtol=1e-12, atol=0.0) | (got == expected)
    assert np.all(both_nan | close), f"kernel {got!r} != reference {expected!r}"


# ---------------------------------------------------------------- property tests

VALUES = st.one_of(
    st.integers(-50, 1000).map(float),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308, -1e308]),
)


@st.composite
def csr_inputs(draw: st.DrawFn) -> tuple[list[Window], list[int], int]:
    """Random CSR data: near-regular scrapes (so extrapolation thresholds are exercised) or any times."""
    scale = draw(st.sampled_from([1, 1000, 15_000]))
    jitter = st.integers(-scale // 4, scale // 4) if scale > 1 else st.just(0)
    series: list[Window] = []
    for _ in range(draw(st.integers(0, 4))):
        slots = sorted(draw(st.sets(st.integers(0, 40), max_size=12)))
        times = sorted({max(0, k * scale + draw(jitter)) for k in slots})
        series.append([(t, draw(VALUES)) for t in times])
    eval_times = [t * scale + draw(jitter) for t in draw(st.lists(st.integers(-5, 50), max_size=6))]
    rng = scale * draw(st.sampled_from([1, 2, 3, 4, 5, 10]))
    return series, eval_times, rng


def params_for(name: str, data: st.DataObject) -> tuple[float, ...]:
    count = PARAM_COUNTS[name]
    if name == "double_exponential_smoothing":
        factor = st.floats(0.01, 0.99)
        return (data.draw(factor), data.draw(factor))
    quantile = st.one_of(st.floats(-0.5, 1.5), st.just(math.nan), st.sampled_from([0.0, 0.5, 1.0]))
    return tuple(data.draw(quantile) for _ in range(count))


@pytest.mark.parametrize("name", sorted(PARAM_COUNTS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs=csr_inputs(), data=st.data())
def test_kernel_matches_reference(name: str, inputs: tuple[list[Window], list[int], int],
                                  data: st.DataObject) -> None:
    series, eval_times, rng = inputs
    params = params_for(name, data)
    out, present = run(name, series, eval_times, rng, params)
    want_out, want_present = reference(name, series, eval_times, rng, params)
    assert present.tolist() == want_present
    assert out.shape == (len(series), len(eval_times))
    assert_same(np.where(present, out, 0.0), [[v if p else 0.0 for v, p in zip(row, prow, strict=True)]
                                              for row, prow in zip(want_out, want_present, strict=True)])


@settings(max_examples=40, deadline=None)
@given(inputs=csr_inputs())
def test_window_is_left_open(inputs: tuple[list[Window], list[int], int]) -> None:
    series, eval_times, rng = inputs
    counts, present = run("count_over_time", series, eval_times, rng)
    for s, samples in enumerate(series):
        for j, t in enumerate(eval_times):
            n = sum(1 for ts, _ in samples if t - rng < ts <= t)
            assert present[s, j] == (n > 0)
            assert counts[s, j] == (n if n else 0)


# ---------------------------------------------------------------- hand-checked cases

MINUTE = 60_000


def test_rate_extrapolates_to_the_window_start() -> None:
    # 10,20,...,50 at 1m..5m; window (0, 5m]: increase 40 over 4m, extended by 1m at the start
    # (closer than 1.1 average gaps; the extrapolated zero point is 1m back too): 50.
    series = [[(i * MINUTE, 10.0 * i) for i in range(1, 6)]]
    out, present = run("increase", series, [5 * MINUTE], 5 * MINUTE)
    assert present[0, 0] and out[0, 0] == pytest.approx(50.0)
    out, _ = run("rate", series, [5 * MINUTE], 5 * MINUTE)
    assert out[0, 0] == pytest.approx(50.0 / 300)


def test_rate_zero_clamp_and_counter_reset() -> None:
    # Counter 100, 110, 5 (reset), 15: increase 15-100+110 = 25 over 3 gaps of 1m at 2m..5m.
    series = [[(2 * MINUTE, 100.0), (3 * MINUTE, 110.0), (4 * MINUTE, 5.0), (5 * MINUTE, 15.0)]]
    out, _ = run("increase", series, [5 * MINUTE], 5 * MINUTE)
    # to_start 2m >= 1.1m, so half a gap (30s) is added: 25 * (180+30)/180.
    assert out[0, 0] == pytest.approx(25 * 210 / 180)
    out, _ = run("delta", series, [5 * MINUTE], 5 * MINUTE)
    assert out[0, 0] == pytest.approx(-85 * 210 / 180)
    out, _ = run("resets", series, [5 * MINUTE], 5 * MINUTE)
    assert out[0, 0] == 1.0


def test_rate_needs_two_samples_and_sample_at_window_start_is_excluded() -> None:
    series = [[(0, 1.0), (5 * MINUTE, 2.0)]]
    _, present = run("rate", series, [5 * MINUTE], 5 * MINUTE)
    assert not present[0, 0]
    _, present = run("count_over_time", series, [5 * MINUTE, 10 * MINUTE + 1], 5 * MINUTE)
    assert present.tolist() == [[True, False]]


def test_irate_after_reset_uses_last_value() -> None:
    series = [[(0, 10.0), (MINUTE, 20.0), (2 * MINUTE, 4.0)]]
    out, _ = run("irate", series, [2 * MINUTE], 5 * MINUTE)
    assert out[0, 0] == pytest.approx(4.0 / 60)
    out, _ = run("idelta", series, [2 * MINUTE], 5 * MINUTE)
    assert out[0, 0] == -16.0


def test_deriv_and_predict_linear() -> None:
    series = [[(i * MINUTE, 3.0 * i) for i in range(6)]]
    out, _ = run("deriv", series, [5 * MINUTE], 10 * MINUTE)
    assert out[0, 0] == pytest.approx(3.0 / 60)
    out, _ = run("predict_linear", series, [5 * MINUTE], 10 * MINUTE, (600.0,))
    assert out[0, 0] == pytest.approx(15.0 + 30.0)


def test_over_time_aggregations() -> None:
    series = [[(MINUTE, 4.0), (2 * MINUTE, 1.0), (3 * MINUTE, 1.0), (4 * MINUTE, 6.0)]]
    expected = {
        "sum_over_time": 12.0, "avg_over_time": 3.0, "min_over_time": 1.0, "max_over_time": 6.0,
        "count_over_time": 4.0, "last_over_time": 6.0, "first_over_time": 4.0, "stdvar_over_time": 4.5,
        "ts_of_min_over_time": 180.0, "ts_of_max_over_time": 240.0, "changes": 2.0, "resets": 1.0,
        "ts_of_first_over_time": 60.0, "ts_of_last_over_time": 240.0, "mad_over_time": 1.5,
    }
    for name, want in expected.items():
        out, present = run(name, series, [4 * MINUTE], 10 * MINUTE)
        assert present[0, 0] and out[0, 0] == pytest.approx(want), name


def test_quantile_edge_rules() -> None:
    series = [[(MINUTE, 1.0), (2 * MINUTE, 2.0), (3 * MINUTE, 4.0)]]
    cases = [(0.5, 2.0), (0.75, 3.0), (-1.0, -math.inf), (2.0, math.inf)]
    for q, want in cases:
        out, _ = run("quantile_over_time", series, [3 * MINUTE], 5 * MINUTE, (q,))
        assert out[0, 0] == want
    out, present = run("quantile_over_time", series, [3 * MINUTE], 5 * MINUTE, (math.nan,))
    assert present[0, 0] and math.isnan(out[0, 0])


def test_mad_over_time_with_nan_is_nan() -> None:
    series = [[(MINUTE, 1.0), (2 * MINUTE, 2.0), (3 * MINUTE, math.nan), (4 * MINUTE, 4.0)]]
    out, present = run("mad_over_time", series, [4 * MINUTE], 5 * MINUTE)
    assert present[0, 0] and math.isnan(out[0, 0])


def test_avg_over_time_does_not_overflow() -> None:
    series = [[(MINUTE, 1e308), (2 * MINUTE, 1e308), (3 * MINUTE, 1e308)]]
    out, _ = run("avg_over_time", series, [3 * MINUTE], 5 * MINUTE)
    assert out[0, 0] == pytest.approx(1e308)


def test_smoothing_params_are_validated() -> None:
    series = [[(MINUTE, 1.0), (2 * MINUTE, 2.0)]]
    message = r"invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000"
    with pytest.raises(ExecutionError, match=message):
        run("double_exponential_smoothing", series, [2 * MINUTE], 5 * MINUTE, (1.0, 0.5))
    with pytest.raises(ExecutionError, match="invalid trend factor"):
        run("double_exponential_smoothing", series, [2 * MINUTE], 5 * MINUTE, (0.5, 0.0))
    # No samples in any window: nothing is evaluated, so no error (as in Prometheus).
    _, present = run("double_exponential_smoothing", series, [60 * MINUTE], 5 * MINUTE, (1.0, 0.5))
    assert not present.any()


def test_bad_input_is_a_clear_error() -> None:
    ts, vals, offsets = to_csr([[(0, 1.0)]])
    times = np.array([0], dtype=np.int64)
    with pytest.raises(BadDataError, match="unknown range-vector function"):
        eval_range_function("nope", ts, vals, offsets, times, 1000)
    with pytest.raises(BadDataError, match="parameter"):
        eval_range_function("quantile_over_time", ts, vals, offsets, times, 1000)
    with pytest.raises(BadDataError, match="offsets"):
        eval_range_function("rate", ts, vals, np.array([0, 5], dtype=np.int64), times, 1000)
    with pytest.raises(BadDataError, match="range"):
        eval_range_function("rate", ts, vals, offsets, times, 0)


def test_wide_time_span_uses_the_fallback_path() -> None:
    far = 2**61
    series = [[(0, 1.0), (far, 2.0)], [(far - 1, 3.0)]]
    out, present = run("last_over_time", series, [far, 0], 10)
    assert present.tolist() == [[True, True], [True, False]]
    assert out[0].tolist() == [2.0, 1.0]
    assert out[1, 0] == 3.0


@pytest.mark.parametrize("name", ["rate", "increase", "delta"])
@settings(max_examples=80, deadline=None)
@given(
    gap=st.integers(10, 100), count=st.integers(2, 8), lead=st.integers(0, 300), tail=st.integers(0, 300),
    values=st.lists(st.integers(-20, 100).map(float), min_size=8, max_size=8),
)
def test_extrapolation_boundaries_match_reference(
    name: str, gap: int, count: int, lead: int, tail: int, values: list[float]
) -> None:
    # Regular samples with the window edges at any distance: exercises the 1.1-gap thresholds.
    start = 1000
    series = [[(start + lead + 1 + i * gap, values[i]) for i in range(count)]]
    t = series[0][-1][0] + tail
    rng = t - start
    out, present = run(name, series, [t], rng)
    want = ref_function(name, series[0], t, rng, ())
    assert present[0, 0] and want is not None
    assert_same(out, [[want]])


def test_extrapolation_threshold_is_one_point_one_gaps() -> None:
    # Gaps of 100 ms; the first sample 115 ms (1.15 gaps) after the window start: too far, so only
    # half a gap is added. delta = 2 * (200 + 50 + 0) / 200.
    series = [[(115, 1.0), (215, 2.0), (315, 3.0)]]
    out, _ = run("delta", series, [315], 315)
    assert out[0, 0] == pytest.approx(2.5)


@settings(max_examples=60, deadline=None)
@given(inputs=csr_inputs())
def test_window_bounds_match_searchsorted(inputs: tuple[list[Window], list[int], int]) -> None:
    # The compiled walk against the plain numpy way: one searchsorted per series.
    series, eval_times, rng = inputs
    ts, _, offsets = to_csr(series)
    times = np.array(eval_times, dtype=np.int64)
    lo, hi = window_bounds(ts, offsets, times, rng)
    for s in range(len(series)):
        own = ts[offsets[s] : offsets[s + 1]]
        assert lo[s].tolist() == (offsets[s] + np.searchsorted(own, times - rng, side="right")).tolist()
        assert hi[s].tolist() == (offsets[s] + np.searchsorted(own, times, side="right")).tolist()


def test_over_time_loops_close_over_plain_numbers_so_numba_can_cache_them() -> None:
    """numba's cache key hashes a closure's contents; a compiled function there pickles differently in
    every process, which made every process recompile these loops on first use."""
    from ember.promql import range_kernels_over_time as over_time

    for which, kernel in over_time._SIMPLE_KERNELS.items():
        python_function = kernel.py_func  # type: ignore[attr-defined]  # the dispatcher's source function
        cells = [cell.cell_contents for cell in python_function.__closure__ or ()]
        assert cells == [which]
