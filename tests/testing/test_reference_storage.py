from __future__ import annotations

import pytest

from ember.testing import ReferenceStorage
from ember.testing.storage_suite import StorageConformance


class TestReferenceStorage(StorageConformance):
    @pytest.fixture
    def storage(self) -> ReferenceStorage:
        return ReferenceStorage()
