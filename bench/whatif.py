"""A what-if: promobot's Registry with one change recommended in docs/performance.md,
measured beside the real one so the lead can see what it is worth before making it in
bot/registry.py. Nothing in bot/ uses this.

The model is read with `search_registered_models("name = '…'")` instead of
`get_registered_model`: the same tags, aliases and latest version of each stage (with
their tags, run ids and descriptions), but MLflow 3.17's SQL store answers
`registered-models/get` by loading every version of the model into Python objects,
while the search computes the latest versions with one window query in the database
(3-7x cheaper at 10,000 versions; still O(versions), see docs/performance.md).
Names that are not plain go the old way: they would have to be quoted in a filter.

The benchmarks also use it for set-up, where it makes the 10,000-version model cheaper.
"""

from __future__ import annotations

import re
from typing import Any

from bot import registry as core
from bot.registry import ModelInfo, Registry

_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,255}")


class WhatIfRegistry(Registry):
    def get_model(self, name: str) -> ModelInfo | None:
        to_info = getattr(core, "_model_info", None)
        if to_info is None or not _PLAIN_NAME.fullmatch(name):
            return super().get_model(name)
        with self._calls(f"read model {name}"):
            found = self._client._get_registry_client().search_registered_models(
                filter_string=f"name = '{name}'", max_results=1
            )
        rm = next((m for m in found if m.name == name), None)
        return None if rm is None else to_info(rm)


def whatif_service(url: str, policy: Any) -> Any:
    from bot.service import Service

    return Service(WhatIfRegistry(url), policy)
