"""``POST /collect``: metric points and log events in, stored before the answer."""

from __future__ import annotations

import time

from fastapi import APIRouter

from opscast.dependencies import SettingsDep, StreamDep, batch_limit
from opscast.streaming.pipeline import new_batch_id
from opscast.streaming.schemas import CollectIn, CollectOut, MetricBatch
from opscast.streaming.service import check_collect

router = APIRouter(tags=["ingestion"])


@router.post(
    "/collect",
    response_model=CollectOut,
    status_code=201,
    summary="Ingest a batch of metric points and log events",
    dependencies=[
        batch_limit(
            ("points", "logs"),
            lambda settings: settings.collect_max_items,
            setting="OPSCAST_COLLECT_MAX_ITEMS",
        )
    ],
)
async def collect(body: CollectIn, settings: SettingsDep, pipeline: StreamDep) -> CollectOut:
    """A 201 means the batch is stored; scoring follows through the stream.

    Points at a timestamp already stored replace the old value, so a client may retry a
    batch it is unsure about. Log events add to per-minute counts (``service:log_<level>``).
    """
    check_collect(body.points, settings.collect_max_items, len(body.logs))
    batch = MetricBatch(
        source=body.source,
        points=body.points,
        logs=body.logs,
        batch_id=new_batch_id(),
        sent_at=time.time(),
    )
    stored = await pipeline.store(batch)
    published = await pipeline.publish_batch(batch)
    return CollectOut(
        batch_id=batch.batch_id,
        points_written=stored.points_written,
        log_events_counted=stored.log_events_counted,
        series_created=stored.series_created,
        published=published,
    )
