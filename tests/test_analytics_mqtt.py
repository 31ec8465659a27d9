"""Counting events over MQTT through mottrack's publisher, to a real mosquitto broker."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mqtt_broker import Subscriber, needs_mosquitto, running_broker, wait_until  # noqa: E402

from mottrack.analytics import LineCounter, ZoneMonitor, publish_events  # noqa: E402


@pytest.fixture
def broker(tmp_path):
    yield from running_broker(tmp_path)


class _Recorder:
    def __init__(self):
        self.sent = []

    def publish_object_track(self, message):
        self.sent.append(message)


def _frames():
    for k, y in enumerate([80, 120, 130, 30]):   # in, then out; zone: enter at 120, exit at 30
        yield k, np.array([[40, y - 40, 60, y, 5, 0.9, 0, 0]], float)


def test_publish_events_builds_one_message_per_frame_with_events():
    rec = _Recorder()
    line = LineCounter((0, 100), (200, 100), min_distance=5, name="door")
    zone = ZoneMonitor([(0, 100), (200, 100), (200, 200), (0, 200)], min_distance=5, name="hall")
    for k, rows in _frames():
        t = 1714564800.0 + k
        publish_events(rec, line.update(rows, t) + zone.update(rows, t), timestamp=t, channel_id=3,
                       id_prefix="cam")
    assert [m["timestamp"][-10:] for m in rec.sent] == ["01.000000Z", "03.000000Z"]
    types = [[e["type"] for e in m["analytics_events"]] for m in rec.sent]
    assert types == [["LineCrossing", "ZoneEnter"], ["LineCrossing", "ZoneExit"]]
    assert rec.sent[1]["analytics_events"][1]["dwell_seconds"] == 2.0
    assert all(m["channel_id"] == 3 for m in rec.sent)
    assert rec.sent[0]["analytics_events"][0]["object_track_id"] == "cam-5"
    assert publish_events(rec, []) is False and len(rec.sent) == 2


@needs_mosquitto
def test_counting_events_reach_the_broker_on_their_own_topic(broker):
    from mottrack.io.mqtt import MqttPublisher
    sub = Subscriber(broker.port, "site/#")
    try:
        pub = MqttPublisher("127.0.0.1", broker.port, topic_prefix="site/cam/counting",
                            object_track_topic="{prefix}/{channel}/events").start(wait=10)
        line = LineCounter((0, 100), (200, 100), min_distance=5, name="door")
        for k, rows in _frames():
            publish_events(pub, line.update(rows, 100.0 + k), timestamp=100.0 + k)
        stats = pub.close()
        assert wait_until(lambda: len(sub.on("/events")) == 2, 10)
    finally:
        sub.close()
    msgs = sub.on("/events")
    assert {m.topic for m in msgs} == {"site/cam/counting/1/events"} and all(m.qos == 1 for m in msgs)
    dirs = [json.loads(m.payload)["analytics_events"][0]["direction"] for m in msgs]
    assert dirs == ["in", "out"]
    assert stats["object_tracks_acked"] == 2 and stats["object_tracks_unsent"] == 0
