"""Auto top-up's rule: what the person sets (rule.py), the forecast of their spend
(forecast.py), the decision a job takes at any moment (decide.py), the settings page's
sentence (sentence.py) and the read-only dry run over the last 30 days (dry_run.py, over the
pure replay.py). Everything but the dry run is pure: no database, no clock (`make_rule`
reads the configured limits and lead times unless given them).

docs/autotopup.md says what was chosen and why.
"""

from billing_app.services.autotopup.decide import Action, Decision, charge_month_start, decide
from billing_app.services.autotopup.dry_run import dry_run
from billing_app.services.autotopup.forecast import Forecast, SpendRate, forecast, keeps_up, spend_rate
from billing_app.services.autotopup.replay import DryRun, Past, SimulatedTopup, replay
from billing_app.services.autotopup.rule import CEILING_PAISE, Method, Rule, lead_time_for, make_rule
from billing_app.services.autotopup.sentence import describe

__all__ = [
    "CEILING_PAISE",
    "Action",
    "Decision",
    "DryRun",
    "Forecast",
    "Method",
    "Past",
    "Rule",
    "SimulatedTopup",
    "SpendRate",
    "charge_month_start",
    "decide",
    "describe",
    "dry_run",
    "forecast",
    "keeps_up",
    "lead_time_for",
    "make_rule",
    "replay",
    "spend_rate",
]
