"""The audit pass of `promobot serve`: every PROMOBOT_AUDIT_SECONDS, one call into the
service, which audits every governed model and reports each new finding once (as
`drift_found`, under the target's lock and its `promobot.drift.*` tag, so however many
workers and replicas run the pass, each finding is reported once).

MLflow's webhooks announce alias changes but no stage transition: this pass is what
finds a stage moved outside promobot.

After the audit, the pass compacts every governed model (bot/core/service/archive.py):
finished records move to the model's ledger, so what promobot keeps on a model stays
bounded as it goes. Replicas compacting at once lose nothing and duplicate nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.doors.passes.expiry import Pass

if TYPE_CHECKING:
    from bot.core.service import Service

log = logging.getLogger("promobot.audit")


class DriftPass(Pass):
    what = "audit"

    def once(self, service: Service) -> None:
        found = service.drift_scan.report_all()
        if found:
            log.info("audit found %d new drift finding(s)", len(found))
        for done in service.compact([]):
            if done.moved:
                log.info("compacted %s: %d records moved to its ledger", done.model, done.moved)
            elif done.busy:
                log.debug("compacting %s: left to %s, which holds its lock", done.model, done.busy)
