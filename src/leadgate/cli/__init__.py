"""The ``leadgate`` command: thin adapters over :class:`leadgate.project.Project`.

One module per command group; each command parses its input, makes one library call and
prints the result (``--json`` for machines). The clock is read here, at the edge
(:func:`.app.open_project`), and nowhere in the library.

Every command is registered below, explicitly, in the order ``leadgate --help`` lists them:
importing a command module registers nothing.
"""

from __future__ import annotations

from . import (
    analytics_backtest,
    analytics_forecast,
    analytics_funnel,
    api,
    calibrate,
    data,
    definition,
    demo,
    engines,
    handoff_data,
    handoff_outbox,
    handoff_queue,
    handoff_routing,
    handoff_sla,
    handoff_stages,
    identity,
    project,
    report,
    scores,
    web,
)
from .app import main

COMMANDS = (
    project.init,
    data.import_,
    data.imports,
    identity.merge,
    definition.validate,
    definition.publish,
    scores.score,
    scores.leads,
    scores.explain,
    scores.coverage,
    engines.plan,
    handoff_stages.move,
    handoff_stages.history,
    handoff_outbox.outbox,
    handoff_routing.reps,
    handoff_routing.routes,
    handoff_queue.queue,
    handoff_queue.definitions,
    api.serve,
    api.keys,
    handoff_sla.sla,
    handoff_sla.sweep,
    web.users,
    demo.demo,
    # handoff lane: erasure, event schemas, the MQL export
    handoff_data.forget,
    handoff_data.schemas,
    handoff_data.export,
    # -- funnel
    analytics_funnel.funnel,
    analytics_funnel.diagnose,
    analytics_funnel.lift,
    # -- backtest ---
    analytics_backtest.backtest,
    analytics_backtest.compare,
    calibrate.calibrate,
    analytics_forecast.forecast,
    report.report,
)

for _command in COMMANDS:
    main.add_command(_command)

__all__ = ["COMMANDS", "main"]
