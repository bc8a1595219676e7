"""What a served worker does to the collector once its app is built."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from gateway.asgi import YOUNG_COLLECTION_THRESHOLD, settle_heap


@pytest.fixture
def collector() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    try:
        yield before
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_the_start_up_heap_is_frozen_and_the_young_collected_less_often(
    collector: tuple[int, int, int],
) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    settle_heap()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, collector[1], collector[2])
    assert YOUNG_COLLECTION_THRESHOLD > collector[0]
