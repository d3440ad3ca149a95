"""capacity_factor for a very large Weibull k: no leaked overflow warning (issue 14, a peer-suite finding)."""

import numpy as np
import pytest
from scipy import integrate, stats

from steppe_geo.criteria.wind import PowerCurve, capacity_factor

# a hand-made curve: cut-in 3 m/s, linear to rated 1000 kW at 12 m/s, cut-out 25 m/s
CURVE = PowerCurve(name="ramp", speed_m_s=(3.0, 12.0, 25.0), power_kw=(0.0, 1000.0, 1000.0))


@pytest.mark.parametrize("k", [1e3, 1e6, 1e12])
def test_very_large_k_is_the_point_mass_at_c(k):
    # k -> inf: the Weibull distribution collapses onto v = c, so CF -> P(c) / P_rated.
    # By hand at c = 7.5 m/s: (7.5 - 3) / (12 - 3) = 0.5 (warnings are errors in this suite).
    assert capacity_factor(7.5, k=k, curve=CURVE) == pytest.approx(0.5, abs=2e-3)


def test_large_k_matches_scipy_quadrature():
    # independent reference: scipy.integrate.quad of P(v) f(v; c, k) with scipy.stats.weibull_min
    c, k = 7.5, 150.0

    def power(v):
        return np.interp(v, CURVE.speed_m_s, CURVE.power_kw, left=0.0, right=0.0) / 1000.0

    pdf = stats.weibull_min(k, scale=c).pdf
    ref, _ = integrate.quad(lambda v: power(v) * pdf(v), 6.0, 9.0, points=[c], limit=200)
    assert capacity_factor(c, k=k, curve=CURVE) == pytest.approx(ref, rel=1e-6)
