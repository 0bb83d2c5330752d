"""Fixtures of the service tests."""

from __future__ import annotations

import pytest
from service_helpers import M


@pytest.fixture
def two_versions(models):
    v1 = models.version(M, accuracy=0.91, f1=0.874)
    v2 = models.version(M, accuracy=0.93, f1=0.890)
    return v1, v2
