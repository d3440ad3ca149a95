"""Reference wake speeds from PyWake's NOJ (Jensen/Park) model, computed once, stored as JSON.

Run with a separate environment holding py_wake (never the project's own environment):

    python -m venv venv_wake && venv_wake/bin/pip install py-wake==2.6.20
    PYTHONPATH=src python -c "..."   # writes the tables (below) with steppe_geo
    venv_wake/bin/python tests/criteria/data/pywake_noj_reference.py

The power and thrust tables come from steppe_geo (``load_power_curve("nrel_6mw_170")`` and
``thrust_curve`` of it) and are stored in the JSON's ``tables``; PyWake gets exactly those, with
linear interpolation, ``ct2a_mom1d`` (so the deficit is (1 − √(1 − Ct)) / (1 + k x / r0)²),
``AreaOverlapAvgModel`` (partial rotor overlap), ``SquaredSum`` superposition and
``PropagateDownwind`` (Ct of each upstream turbine at its own waked speed), k = 0.075.
"""

import json
import sys
from pathlib import Path

import numpy as np
import py_wake
from py_wake.deficit_models.noj import NOJDeficit
from py_wake.deficit_models.utils import ct2a_mom1d
from py_wake.rotor_avg_models import AreaOverlapAvgModel
from py_wake.site import UniformSite
from py_wake.superposition_models import SquaredSum
from py_wake.wind_farm_models import PropagateDownwind
from py_wake.wind_turbines import WindTurbine
from py_wake.wind_turbines.power_ct_functions import PowerCtTabular

path = Path(__file__).with_suffix(".json")
ref = json.loads(path.read_text())
tab = ref["tables"]
ws_tab = np.array(tab["speed_m_s"])
wt = WindTurbine(name="nrel_6mw_170", diameter=tab["rotor_diameter_m"], hub_height=120.0,
                 powerCtFunction=PowerCtTabular(ws_tab, np.array(tab["power_kw"]), "kW", np.array(tab["ct"]),
                                                ws_cutin=ws_tab[0], ws_cutout=ws_tab[-1], method="linear"))
site = UniformSite(p_wd=[1.0], ti=0.1)
wfm = PropagateDownwind(site, wt, wake_deficitModel=NOJDeficit(k=ref["wake_decay"], ct2a=ct2a_mom1d,
                                                                rotorAvgModel=AreaOverlapAvgModel()),
                        superpositionModel=SquaredSum())
for case in ref["cases"]:
    sim = wfm(np.array(case["x_m"]), np.array(case["y_m"]), wd=np.array(case["wd"]), ws=np.array(case["ws"]))
    case["ws_eff"] = sim.WS_eff.values.transpose(1, 2, 0).tolist()  # (wd, ws, turbine)
    case["power_kw"] = (sim.Power.values.transpose(1, 2, 0) / 1000.0).tolist()
ref["versions"] = {"py_wake": py_wake.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}
path.write_text(json.dumps(ref, indent=1) + "\n")
