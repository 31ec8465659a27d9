"""MqttPublisher against a real mosquitto broker on a loopback port."""
import json
import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import require_or_skip  # noqa: E402

import paho.mqtt  # noqa: E402,F401  (the [mqtt] extra, part of [test]: a missing one fails, not skips)

from mottrack.io.mqtt import MqttConnectError, MqttPublisher  # noqa: E402

from mqtt_broker import Broker, Subscriber, free_port, needs_mosquitto, running_broker, wait_until  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def broker(tmp_path):
    yield from running_broker(tmp_path)


def frame(i, channel=1):
    return {"channel_id": channel, "timestamp": f"2024-05-01T12:00:{i:02d}.000000Z", "detections": []}


def track(i, channel=1):
    return {"id": f"p-{i}", "channel_id": channel}


@pytest.mark.parametrize("kwargs, field", [
    ({"host": ""}, "host"), ({"port": 0}, "port"), ({"port": "1883"}, "port"),
    ({"topic_prefix": "a/#"}, "topic_prefix"), ({"frame_topic": "{prefix}/{camera}"}, "frame_topic"),
    ({"object_track_topic": "{prefix}/+/t"}, "object_track_topic"), ({"frame_queue": 0}, "frame_queue"),
    ({"max_inflight": 1.5}, "max_inflight"), ({"reconnect_min": float("nan")}, "reconnect_min"),
    ({"ca_certs": "/nonexistent/ca.pem"}, "ca_certs"), ({"password": "x"}, "password"),
    ({"keepalive": True}, "keepalive"),
])
def test_bad_parameters_name_the_field(kwargs, field):
    args = {"host": "127.0.0.1", **kwargs}
    with pytest.raises(ValueError, match=field):
        MqttPublisher(args.pop("host"), **args)


@needs_mosquitto
def test_frames_qos0_object_tracks_qos1_on_templated_topics(broker):
    sub = Subscriber(broker.port, "site/#")
    try:
        pub = MqttPublisher("127.0.0.1", broker.port, topic_prefix="site/cam").start(wait=10)
        for i in range(30):
            pub.publish_frame(frame(i, channel=1 + i % 2))
        for i in range(4):
            pub.publish_object_track(track(i, channel=2))
        stats = pub.close()
        assert wait_until(lambda: len(sub.on("/status")) >= 2, 10)
        assert wait_until(lambda: len(sub.on("/frame")) == 30 and len(sub.on("/object_track")) == 4, 10)
    finally:
        sub.close()
    frames = sub.on("/frame")
    assert {m.topic for m in frames} == {"site/cam/1/frame", "site/cam/2/frame"}
    assert [json.loads(m.payload)["timestamp"] for m in frames] == [frame(i)["timestamp"] for i in range(30)]
    assert all(m.qos == 0 for m in frames)
    tracks = sub.on("/object_track")
    assert all(m.qos == 1 and m.topic == "site/cam/2/object_track" for m in tracks)
    assert [json.loads(m.payload) for m in tracks] == [track(i, 2) for i in range(4)]
    status = [json.loads(m.payload) for m in sub.on("/status")]
    assert status[0]["status"] == "online" and status[-1]["status"] == "offline"
    assert stats["frames_sent"] == 30 and stats["frames_dropped"] == 0
    assert stats["object_tracks_acked"] == 4 and stats["object_tracks_unsent"] == 0


@needs_mosquitto
def test_status_is_retained_and_last_will_says_offline(broker):
    # A publisher process killed without a goodbye: the broker publishes its last will.
    script = ("import sys, time; sys.path.insert(0, sys.argv[2]);"
              "from mottrack.io.mqtt import MqttPublisher;"
              "MqttPublisher('127.0.0.1', int(sys.argv[1]), topic_prefix='w', keepalive=2).start(wait=10);"
              "print('ready', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(broker.port), str(ROOT)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        early = Subscriber(broker.port, "w/status")
        assert wait_until(lambda: len(early.on("/status")) >= 1, 10)  # the online status has reached the broker
        early.close()
        late = Subscriber(broker.port, "w/status")  # subscribes after the fact: gets the retained status
        try:
            assert wait_until(lambda: len(late.on("/status")) >= 1, 10)
            first = late.on("/status")[0]
            assert first.retain and json.loads(first.payload)["status"] == "online"
            proc.kill()
            assert wait_until(lambda: any(json.loads(m.payload)["status"] == "offline"
                                          for m in late.on("/status")), 15)
        finally:
            late.close()
    finally:
        proc.kill()
        proc.wait(10)


def test_unreachable_broker_is_one_clear_error_and_no_threads_left():
    port = free_port()  # nothing listens here
    before = threading.active_count()
    with pytest.raises(MqttConnectError, match=rf"cannot connect to 127\.0\.0\.1:{port} within 0\.5 s: "
                                               r"Connection refused"):
        MqttPublisher("127.0.0.1", port, reconnect_min=0.1).start(wait=0.5)
    assert wait_until(lambda: threading.active_count() == before, 5)


def test_close_reports_object_tracks_never_delivered(caplog):
    pub = MqttPublisher("127.0.0.1", free_port(), reconnect_min=0.1).start(wait=0)
    pub.publish_frame(frame(0))
    pub.publish_object_track(track(1))
    pub.publish_object_track(track(2))
    with caplog.at_level(logging.ERROR, logger="mottrack.mqtt"):
        stats = pub.close(timeout=0.3)
    assert stats["object_tracks_unsent"] == 2 and stats["object_tracks_acked"] == 0
    assert stats["object_tracks_queued_offline"] == 2
    assert stats["frames_dropped"] == 1 and stats["frames_sent"] == 0
    assert "2 object tracks not delivered" in caplog.text
    with pytest.raises(RuntimeError, match="closed"):
        pub.publish_frame(frame(1))


@needs_mosquitto
def test_queued_while_away_drop_oldest_frames_keep_every_object_track(tmp_path):
    # The subscriber's persistent session (and QoS 0 queueing) keeps what arrives while it
    # reconnects, so what it receives is exactly what the publisher sent.
    b = Broker(tmp_path / "b", persistence=True, queue_qos0=True).start()
    sub = Subscriber(b.port, "q/#", client_id="recorder", persistent=True)
    try:
        b.stop()
        pub = MqttPublisher("127.0.0.1", b.port, topic_prefix="q", frame_queue=3, reconnect_min=0.1,
                            reconnect_max=0.5).start(wait=0)
        for i in range(10):
            pub.publish_frame(frame(i))
        for i in range(5):
            pub.publish_object_track(track(i))
        assert pub.stats()["frames_dropped"] == 7 and not pub.connected
        b.start()
        assert wait_until(lambda: pub.connected, 15)
        stats = pub.close(timeout=10)
        assert wait_until(lambda: len(sub.on("/object_track")) >= 5 and len(sub.on("/frame")) >= 3, 15)
    finally:
        sub.close()
        b.stop()
    assert [f["timestamp"] for f in sub.payloads("/frame")] == [frame(i)["timestamp"] for i in (7, 8, 9)]
    assert sorted({t["id"] for t in sub.payloads("/object_track")}) == [f"p-{i}" for i in range(5)]
    assert stats["frames_sent"] == 3 and stats["frames_dropped"] == 7
    assert stats["object_tracks_acked"] == 5 and stats["object_tracks_unsent"] == 0
    assert stats["object_tracks_queued_offline"] == 5 and stats["reconnects"] == 0  # first connection


@needs_mosquitto
def test_full_object_track_queue_drops_oldest_and_counts_it(broker, caplog):
    broker.stop()
    pub = MqttPublisher("127.0.0.1", broker.port, object_track_queue=2, max_inflight=1,
                        reconnect_min=0.1, reconnect_max=0.5).start(wait=0)
    with caplog.at_level(logging.WARNING, logger="mottrack.mqtt"):
        for i in range(6):
            pub.publish_object_track(track(i))
    broker.start()
    assert wait_until(lambda: pub.connected, 15)
    stats = pub.close(timeout=10)
    assert stats["object_tracks_dropped"] >= 3  # at most 1 in flight + 2 queued survive
    assert stats["object_tracks_dropped"] + stats["object_tracks_acked"] == 6
    assert stats["object_tracks_unsent"] == 0
    assert caplog.text.count("object-track queue full") == stats["object_tracks_dropped"]


@needs_mosquitto
def test_username_password(tmp_path):
    pw = tmp_path / "passwd"
    pw.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(pw), "cam", "s3cret"], check=True)
    b = Broker(tmp_path / "b", extra=f"password_file {pw}\n").start()
    try:
        with pytest.raises(MqttConnectError, match="refused by the broker"):
            MqttPublisher("127.0.0.1", b.port, username="cam", password="wrong").start(wait=5)
        sub = Subscriber(b.port, "a/#", username="cam", password="s3cret")
        try:
            pub = MqttPublisher("127.0.0.1", b.port, topic_prefix="a", username="cam", password="s3cret")
            pub.start(wait=10)
            pub.publish_object_track(track(1))
            assert pub.close()["object_tracks_acked"] == 1
            assert wait_until(lambda: len(sub.on("/object_track")) == 1, 10)
        finally:
            sub.close()
    finally:
        b.stop()


def _make_certs(d: Path):
    """A throw-away CA and a server certificate for 127.0.0.1 (openssl)."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "2", "-subj", "/CN=mottrack test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf")


@needs_mosquitto
# Justified: openssl (part of every Debian base image) only makes the throw-away certificates;
# CI has it, so the skip is required (fails under MOTTRACK_REQUIRE_SHARED=1).
@require_or_skip(not __import__("shutil").which("openssl"), "openssl not installed (makes test certs)")
def test_tls(tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    _make_certs(certs)
    b = Broker(tmp_path / "b", extra=f"cafile {certs / 'ca.crt'}\ncertfile {certs / 'server.crt'}\n"
                                     f"keyfile {certs / 'server.key'}\n").start()
    try:
        sub = Subscriber(b.port, "tls/#", tls_ca=str(certs / "ca.crt"))
        try:
            pub = MqttPublisher("127.0.0.1", b.port, topic_prefix="tls", tls=True, ca_certs=str(certs / "ca.crt"))
            pub.start(wait=10)
            pub.publish_frame(frame(0))
            pub.publish_object_track(track(0))
            stats = pub.close()
            assert wait_until(lambda: len(sub.on("/object_track")) == 1 and len(sub.on("/frame")) == 1, 10)
        finally:
            sub.close()
        assert stats["object_tracks_acked"] == 1
        # Without the CA the broker's certificate is not trusted: no connection.
        with pytest.raises(MqttConnectError, match="cannot connect"):
            MqttPublisher("127.0.0.1", b.port, tls=True).start(wait=2)
    finally:
        b.stop()


@needs_mosquitto
def test_bad_messages_are_rejected_at_the_call_and_the_rest_goes_out(broker):
    pub = MqttPublisher("127.0.0.1", broker.port, topic_prefix="bad").start(wait=10)
    with pytest.raises(TypeError, match="message"):
        pub.publish_frame([1, 2])
    with pytest.raises(TypeError, match="message"):
        pub.publish_object_track("p-1")
    with pytest.raises(ValueError, match="message: cannot be encoded as JSON"):
        pub.publish_frame({"channel_id": 1, "x": float("nan")})
    with pytest.raises(ValueError, match=r"message: channel_id 'a/#' makes the invalid topic"):
        pub.publish_object_track({"id": "p-1", "channel_id": "a/#"})
    with pytest.raises(ValueError, match="message: channel_id"):
        pub.publish_frame({"channel_id": "x+y"})
    pub.publish_object_track(track(2))
    pub.publish_frame(frame(1))
    stats = pub.close()
    assert stats["frames_queued"] == 1 and stats["frames_sent"] == 1 and stats["frames_dropped"] == 0
    assert stats["object_tracks_queued"] == 1 and stats["object_tracks_acked"] == 1
    assert stats["object_tracks_unsent"] == 0 and stats["sender_errors"] == 0


@needs_mosquitto
def test_a_message_dict_reused_across_frames_is_published_as_it_was_at_each_call(broker):
    sub = Subscriber(broker.port, "reuse/#")
    try:
        pub = MqttPublisher("127.0.0.1", broker.port, topic_prefix="reuse").start(wait=10)
        msg = {"channel_id": 1, "frame": 0, "detections": []}
        ot = {"id": "p-0", "channel_id": 1, "path": []}
        for i in range(20):
            msg["frame"] = i
            msg["detections"].append(i)
            pub.publish_frame(msg)
            ot["id"] = f"p-{i}"
            pub.publish_object_track(ot)
        msg["frame"] = "changed after the last call"
        ot["id"] = "changed"
        pub.close(timeout=10)
        assert wait_until(lambda: len(sub.on("/frame")) == 20 and len(sub.on("/object_track")) == 20, 10)
    finally:
        sub.close()
    frames = sub.payloads("/frame")
    assert [f["frame"] for f in frames] == list(range(20))
    assert [f["detections"] for f in frames] == [list(range(i + 1)) for i in range(20)]
    assert sorted(t["id"] for t in sub.payloads("/object_track")) == sorted(f"p-{i}" for i in range(20))


def test_sender_errors_are_counted_and_a_run_is_logged_periodically(caplog, monkeypatch):
    # No broker needed: the sender's pass is made to fail, as a persistent fault would.
    pub = MqttPublisher("127.0.0.1", free_port(), reconnect_min=5, poll_interval=0.01)
    calls = {"n": 0}

    def failing_pass():
        calls["n"] += 1
        if calls["n"] <= 30:
            raise OSError(f"disk on fire #{calls['n']}")
    monkeypatch.setattr(pub, "_send_pending", failing_pass)
    clock = {"t": 1000.0}
    monkeypatch.setattr("mottrack.io.mqtt.time.monotonic", lambda: clock["t"])
    pub.ERROR_LOG_PERIOD = 10.0
    with caplog.at_level(logging.WARNING, logger="mottrack.mqtt"):
        pub.start(wait=0)
        assert wait_until(lambda: calls["n"] >= 10, 10)
        clock["t"] += 11.0   # the period has passed: the next error logs a summary
        assert wait_until(lambda: calls["n"] >= 31, 10)
        pub._closing = True
        pub._wake.set()
        pub._sender.join(10)
    monkeypatch.undo()
    pub._shutdown()
    assert pub.stats()["sender_errors"] == 30
    lines = [r.getMessage() for r in caplog.records]
    assert any("sender error (OSError: disk on fire #1)" in m for m in lines)
    summaries = [m for m in lines if "more sender errors" in m]
    assert len(summaries) == 1 and "in this run" in summaries[0]
    assert any("sender working again after 30 errors (30 in all)" in m for m in lines)


@needs_mosquitto
def test_every_frame_at_30_fps_reaches_a_healthy_broker(broker):
    # A camera's metadata stream at 30 fps to a loopback broker: every frame goes out, none
    # is dropped from the queue while the previous ones wait for the sender.
    import time
    sub = Subscriber(broker.port, "rate/#")
    try:
        pub = MqttPublisher("127.0.0.1", broker.port, topic_prefix="rate").start(wait=10)
        start = time.monotonic()
        for i in range(300):
            delay = start + i / 30.0 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pub.publish_frame({"channel_id": 1, "frame": i})
        stats = pub.close(timeout=10)
        assert wait_until(lambda: len(sub.on("/frame")) >= 300, 10)
    finally:
        sub.close()
    assert [f["frame"] for f in sub.payloads("/frame")] == list(range(300))
    assert stats["frames_sent"] == 300 and stats["frames_dropped"] == 0


@needs_mosquitto
def test_a_frame_wakes_the_sender_and_each_sent_frame_wakes_it_for_the_next(broker):
    # With a backstop poll of an hour, only the wake-ups (on enqueue, on paho writing a
    # frame) can deliver these frames: nothing waits for a poll interval.
    sub = Subscriber(broker.port, "wake/#")
    try:
        pub = MqttPublisher("127.0.0.1", broker.port, topic_prefix="wake", poll_interval=3600).start(wait=10)
        pub.publish_frame({"channel_id": 1, "frame": 0})
        assert wait_until(lambda: len(sub.on("/frame")) == 1, 10)
        for i in range(1, 50):
            pub.publish_frame({"channel_id": 1, "frame": i})
        assert wait_until(lambda: len(sub.on("/frame")) == 50, 10)
        assert pub.stats()["frames_sent"] == 50
        pub.close(timeout=10)
    finally:
        sub.close()
    assert [f["frame"] for f in sub.payloads("/frame")] == list(range(50))
