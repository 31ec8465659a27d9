"""Publish scene metadata over MQTT without blocking the tracking loop (extra ``[mqtt]``).

:class:`MqttPublisher` sends the frame messages of
:class:`~mottrack.io.metadata.SceneMetadataSerializer` and the consolidated object tracks
of :class:`~mottrack.io.metadata.ObjectTrackBuilder` to an MQTT broker with paho-mqtt::

    pub = MqttPublisher("broker.local", topic_prefix="site1/cam3").start()
    pub.publish_frame(serializer.frame(tracks, t, ended_ids=deleted))   # QoS 0
    pub.publish_object_track(track_message)                             # QoS 1
    stats = pub.close()

Threads and queues
------------------
``publish_frame`` / ``publish_object_track`` append the message to a bounded queue, wake
the sender thread and return: they never wait for the network.  A sender thread
serialises the messages and hands them to paho, whose own network thread
(``loop_start``) writes them, reads acknowledgements and reconnects with exponential
backoff (``reconnect_min`` .. ``reconnect_max`` seconds).  paho wakes the sender again
as soon as it has written a frame or received an acknowledgement, so with a healthy
broker a frame's latency is set by the network, not by a polling interval
(eval/bench_mqtt.py measures it; the sender's JSON encoding takes the GIL for tens of
microseconds per frame).

Messages are encoded to JSON when they are queued (in the caller's thread), so a dict the
caller reuses or changes afterwards is published as it was at the call; a message that is
not JSON (NaN, a non-string key, ...) or makes an invalid topic is refused there with a
``ValueError``.

- Frames (QoS 0): queue of ``frame_queue`` messages; when full the *oldest* frame is
  dropped and counted (``frames_dropped``).  Frames are handed to paho only while
  connected, one at a time, so paho never buffers more than one.
- Object tracks (QoS 1): at most ``max_inflight`` are handed to paho unacknowledged
  (paho re-sends them after a reconnect); the rest wait in a queue of
  ``object_track_queue`` messages.  An object track is never dropped silently: when
  that queue is full the oldest is dropped, counted in ``object_tracks_dropped`` and
  logged; :meth:`close` reports every object track not acknowledged by the broker
  (``object_tracks_unsent``).

Topics
------
``frame_topic`` and ``object_track_topic`` are templates formatted with ``prefix`` and
``channel`` (the message's ``channel_id``); default ``{prefix}/{channel}/frame`` and
``{prefix}/{channel}/object_track``.  ``{prefix}/status`` carries a retained status
message, ``{"status": "online", "client_id": ...}`` after every connection and
``"offline"`` at :meth:`close` or, as the last will, when the connection is lost.

Logging goes to the ``mottrack.mqtt`` logger: one line per connection, loss and
reconnection, never a traceback for network errors.  Errors of the sender thread are
counted (``sender_errors`` in :meth:`MqttPublisher.stats`); the first of a run is logged at
once, then one summary line every ``ERROR_LOG_PERIOD`` seconds while they continue, and one
line when the sender works again.
"""
from __future__ import annotations

import collections
import json
import logging
import math
import os
import secrets
import socket
import ssl
import threading
import time
from typing import Any, Deque, Dict, Mapping, NamedTuple, Optional

try:
    import paho.mqtt.client as _paho
    from paho.mqtt.enums import CallbackAPIVersion as _CallbackAPIVersion
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("mottrack.io.mqtt needs paho-mqtt >= 2: pip install 'mottrack[mqtt]'") from exc

__all__ = ["MqttPublisher", "MqttConnectError"]

log = logging.getLogger("mottrack.mqtt")


class MqttConnectError(ConnectionError):
    """The broker could not be reached (or refused the client) within the connect timeout."""


def _check_template(name: str, template: str) -> str:
    try:
        topic = str(template).format(prefix="p", channel=1)
    except (KeyError, IndexError, ValueError):
        raise ValueError(f"{name}: expected a topic template using only {{prefix}} and {{channel}}; "
                         f"got {template!r}") from None
    if not topic or "+" in topic or "#" in topic:
        raise ValueError(f"{name}: a publish topic must be non-empty without '+' or '#'; got {template!r}")
    return str(template)


class _Encoded(NamedTuple):
    """A queued message: its topic and JSON payload (encoded at enqueue), and its id for logs."""

    topic: str
    payload: bytes
    id: Any


def _positive(name: str, value: Any, integer: bool = False) -> Any:
    ok = not isinstance(value, bool) and isinstance(value, (int, float))
    if ok:
        ok = math.isfinite(value) and value > 0 and (not integer or float(value).is_integer())
    if not ok:
        kind = "an int >= 1" if integer else "a number > 0"
        raise ValueError(f"{name}: expected {kind}; got {value!r}")
    return int(value) if integer else float(value)


class MqttPublisher:
    """Non-blocking MQTT publisher of frame (QoS 0) and object-track (QoS 1) messages.

    Parameters
    ----------
    host : str
        Broker host name or address.
    port : int, default 1883 (8883 is the usual TLS port)
    topic_prefix : str, default "mottrack"
        ``{prefix}`` of the topic templates (may contain ``/``, not ``+`` or ``#``).
    frame_topic, object_track_topic : str
        Topic templates (see module docs).
    client_id : str, optional
        Default ``"mottrack-<8 random hex digits>"``.
    username, password : str, optional
        Broker credentials (MQTT username/password authentication).
    tls : bool, default False
        Connect with TLS, verifying the broker against ``ca_certs`` (default: the
        system's trusted CAs).
    ca_certs, certfile, keyfile : path, optional
        CA bundle; client certificate and key for mutual TLS.
    tls_insecure : bool, default False
        Skip the broker host-name check (testing only).
    keepalive : int, default 30
        Seconds between keep-alive pings; a dead connection is noticed within ~1.5x.
    frame_queue : int, default 100
        Frames held while the broker is slow or away (oldest dropped beyond).
    object_track_queue : int, default 10000
        Object tracks held beyond the in-flight ones (oldest dropped and counted beyond).
    max_inflight : int, default 20
        Object tracks handed to paho and not yet acknowledged.
    reconnect_min, reconnect_max : float, default 0.5 and 30
        Reconnect backoff in seconds: doubles from min after each failure, capped at max.
    poll_interval : float, default 0.05
        Longest sleep of the sender thread between wake-ups (a backstop: every queued
        message, every frame paho has written and every acknowledgement wake it at once).

    Raises
    ------
    ValueError
        A parameter has the wrong form (named in the message).
    """

    #: Seconds between two log lines about a run of sender errors.
    ERROR_LOG_PERIOD = 60.0

    def __init__(self, host: str, port: int = 1883, *, topic_prefix: str = "mottrack",
                 frame_topic: str = "{prefix}/{channel}/frame",
                 object_track_topic: str = "{prefix}/{channel}/object_track",
                 client_id: Optional[str] = None, username: Optional[str] = None,
                 password: Optional[str] = None, tls: bool = False,
                 ca_certs: Optional[str] = None, certfile: Optional[str] = None,
                 keyfile: Optional[str] = None, tls_insecure: bool = False, keepalive: int = 30,
                 frame_queue: int = 100, object_track_queue: int = 10000, max_inflight: int = 20,
                 reconnect_min: float = 0.5, reconnect_max: float = 30.0, poll_interval: float = 0.05) -> None:
        if not isinstance(host, str) or not host:
            raise ValueError(f"host: expected a non-empty host name or address; got {host!r}")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ValueError(f"port: expected an int in 1..65535; got {port!r}")
        prefix = str(topic_prefix)
        if not prefix or "+" in prefix or "#" in prefix:
            raise ValueError(f"topic_prefix: expected a non-empty topic without '+' or '#'; got {topic_prefix!r}")
        self.frame_topic = _check_template("frame_topic", frame_topic)
        self.object_track_topic = _check_template("object_track_topic", object_track_topic)
        for name, path in (("ca_certs", ca_certs), ("certfile", certfile), ("keyfile", keyfile)):
            if path is not None and not os.path.isfile(path):
                raise ValueError(f"{name}: no such file: {path!r}")
        if keyfile is not None and certfile is None:
            raise ValueError("keyfile: given without certfile")
        if password is not None and username is None:
            raise ValueError("password: given without username")
        self.host, self.port, self.prefix = host, port, prefix
        self.keepalive = _positive("keepalive", keepalive, integer=True)
        frame_queue = _positive("frame_queue", frame_queue, integer=True)
        self._track_limit = _positive("object_track_queue", object_track_queue, integer=True)
        self.max_inflight = _positive("max_inflight", max_inflight, integer=True)
        self.reconnect_min = _positive("reconnect_min", reconnect_min)
        self.reconnect_max = max(_positive("reconnect_max", reconnect_max), self.reconnect_min)
        self.poll_interval = _positive("poll_interval", poll_interval)
        self.client_id = client_id or f"mottrack-{secrets.token_hex(4)}"
        self.status_topic = f"{prefix}/status"

        client = _paho.Client(callback_api_version=_CallbackAPIVersion.VERSION2, client_id=self.client_id,
                              protocol=_paho.MQTTv311, clean_session=True)
        if username is not None:
            client.username_pw_set(username, password)
        if tls or ca_certs or certfile:
            client.tls_set(ca_certs=ca_certs, certfile=certfile, keyfile=keyfile,
                           cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
            if tls_insecure:
                client.tls_insecure_set(True)
        client.will_set(self.status_topic, self._status("offline"), qos=1, retain=True)
        client.reconnect_delay_set(self.reconnect_min, self.reconnect_max)
        client.max_inflight_messages_set(self.max_inflight)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        self._client = client

        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._frames: Deque[_Encoded] = collections.deque(maxlen=frame_queue)
        self._tracks: Deque[_Encoded] = collections.deque()
        self._unacked: Dict[int, _Encoded] = {}   # mid -> object track handed to paho
        self._acked: Deque[int] = collections.deque()      # mids acknowledged (paho thread -> sender)
        self._last_frame: Optional[Any] = None             # MQTTMessageInfo of the last frame handed over
        self._in_hand: Optional[_Encoded] = None  # popped from a queue, not yet handed to paho
        self._connected = threading.Event()
        self._ever_connected = False
        self._refused: Optional[str] = None
        self._lost_at: Optional[float] = None
        self._closing = False
        self._started = False
        self._sender: Optional[threading.Thread] = None
        # counters (each written by one thread)
        self.frames_queued = 0     # written by the caller's thread only
        self.frames_sent = 0       # written by the sender thread only
        self._frame_in_hand = False
        self.object_tracks_queued = 0
        self.object_tracks_queued_offline = 0
        self.object_tracks_acked = 0
        self.object_tracks_dropped = 0
        self.object_tracks_unsent = 0
        self.disconnects = 0
        self.reconnects = 0
        self.sender_errors = 0     # exceptions caught by the sender thread (written by it only)

    # ------------------------------------------------------------------ public API
    @property
    def frames_dropped(self) -> int:
        """Frames queued and never handed to paho: evicted from the full queue, refused by a
        just-lost connection, or still queued at :meth:`close` (exact when idle or closed)."""
        return max(0, self.frames_queued - self.frames_sent - len(self._frames) - int(self._frame_in_hand))

    @property
    def connected(self) -> bool:
        """True while a broker connection is established (CONNACK received)."""
        return self._connected.is_set()

    def start(self, wait: Optional[float] = 10.0) -> "MqttPublisher":
        """Start the network and sender threads; by default wait for the first connection.

        Parameters
        ----------
        wait : float or None, default 10
            Seconds to wait for the broker; ``None`` or 0 returns at once (the publisher
            keeps retrying in the background and queues meanwhile).

        Raises
        ------
        MqttConnectError
            ``wait`` elapsed without a connection, or the broker refused the client;
            the threads are stopped again.
        """
        if self._started:
            raise RuntimeError("start: the publisher was already started")
        self._started = True
        self._client.connect_async(self.host, self.port, keepalive=self.keepalive)
        self._client.loop_start()
        self._sender = threading.Thread(target=self._send_loop, name="mottrack-mqtt-sender", daemon=True)
        self._sender.start()
        if wait:
            deadline = time.monotonic() + float(wait)
            while not self._connected.wait(0.05):
                if self._refused is not None or time.monotonic() >= deadline:
                    reason = self._refused or self._probe()
                    self._shutdown()
                    raise MqttConnectError(f"mqtt: cannot connect to {self.host}:{self.port} "
                                           f"within {float(wait):g} s: {reason}")
        return self

    def publish_frame(self, message: Mapping[str, Any]) -> None:
        """Queue a frame message (QoS 0); the oldest queued frame is dropped when full.

        The message is encoded now (later changes to the dict are not published) and the
        sender is woken; no lock is taken (a deque append is atomic under the GIL).

        Raises
        ------
        TypeError
            ``message`` is not a mapping.
        ValueError
            ``message`` is not JSON-encodable or its ``channel_id`` makes an invalid topic.
        """
        if type(message) is not dict and not isinstance(message, Mapping):
            raise TypeError(f"message: expected a frame message dict; got {type(message).__name__}")
        if self._closing:
            raise RuntimeError("publish_frame: the publisher is closed")
        self._frames.append(self._encode(self.frame_topic, message))  # a full deque evicts its oldest
        self.frames_queued += 1
        if not self._wake.is_set():
            self._wake.set()

    def publish_object_track(self, message: Mapping[str, Any]) -> None:
        """Queue an object-track message (QoS 1); never dropped without being counted.

        Encoded now, like :meth:`publish_frame` (same errors).
        """
        if not isinstance(message, Mapping):
            raise TypeError(f"message: expected an object-track message dict; got {type(message).__name__}")
        if self._closing:
            raise RuntimeError("publish_object_track: the publisher is closed")
        encoded = self._encode(self.object_track_topic, message)
        with self._lock:
            if len(self._tracks) >= self._track_limit:
                lost = self._tracks.popleft()
                self.object_tracks_dropped += 1
                log.warning("mqtt: object-track queue full (%d): dropped object track %s (%d dropped so far)",
                            self._track_limit, lost.id, self.object_tracks_dropped)
            self._tracks.append(encoded)
        self.object_tracks_queued += 1
        if not self._connected.is_set():
            self.object_tracks_queued_offline += 1
        if not self._wake.is_set():
            self._wake.set()

    def stats(self) -> Dict[str, Any]:
        """Counters: frames queued/sent/dropped, object tracks queued/acked/dropped/unsent, sender errors, ..."""
        with self._lock:
            pending_frames = len(self._frames)
            pending_tracks = len(self._tracks) + len(self._unacked)
        return {
            "connected": self.connected, "frames_queued": self.frames_queued, "frames_sent": self.frames_sent,
            "frames_dropped": self.frames_dropped, "frames_pending": pending_frames,
            "object_tracks_queued": self.object_tracks_queued,
            "object_tracks_queued_offline": self.object_tracks_queued_offline,
            "object_tracks_acked": self.object_tracks_acked, "object_tracks_dropped": self.object_tracks_dropped,
            "object_tracks_pending": pending_tracks, "object_tracks_unsent": self.object_tracks_unsent,
            "disconnects": self.disconnects, "reconnects": self.reconnects, "sender_errors": self.sender_errors,
        }

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued message is sent and every object track acknowledged."""
        deadline = time.monotonic() + float(timeout)
        while True:
            with self._lock:
                idle = (not self._frames and not self._frame_in_hand and not self._tracks and not self._unacked
                        and self._in_hand is None)
            if idle:
                return True
            if time.monotonic() >= deadline:
                return False
            self._wake.set()
            time.sleep(0.01)

    def close(self, timeout: float = 10.0) -> Dict[str, Any]:
        """Flush for up to ``timeout`` s, publish the offline status, disconnect; returns :meth:`stats`.

        Frames still queued count as dropped; object tracks not acknowledged count as
        ``object_tracks_unsent`` and are logged.
        """
        if not self._started or self._closing:
            return self.stats()
        self.flush(timeout)
        self._closing = True
        if self._connected.is_set():
            info = self._client.publish(self.status_topic, self._status("offline"), qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=min(2.0, float(timeout)))
            except (RuntimeError, ValueError):
                pass
        self._shutdown()
        with self._lock:
            self._frames.clear()  # never sent: now counted in frames_dropped
            self.object_tracks_unsent += len(self._tracks) + len(self._unacked)
        if self.object_tracks_unsent:
            log.error("mqtt: %d object tracks not delivered to %s:%d", self.object_tracks_unsent,
                      self.host, self.port)
        return self.stats()

    def __enter__(self) -> "MqttPublisher":
        return self if self._started else self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _encode(self, template: str, msg: Mapping[str, Any]) -> _Encoded:
        """Topic and JSON payload of a message (caller's thread); ValueError naming ``message``."""
        try:
            payload = json.dumps(msg, separators=(",", ":"), allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"message: cannot be encoded as JSON ({exc})") from None
        channel = msg.get("channel_id", 1)
        try:
            topic = template.format(prefix=self.prefix, channel=channel)
        except (ValueError, AttributeError, KeyError, IndexError) as exc:  # a format spec in channel_id
            raise ValueError(f"message: channel_id {channel!r} makes no topic ({exc})") from None
        if "+" in topic or "#" in topic or "\0" in topic or len(topic.encode("utf-8", "replace")) > 65535:
            raise ValueError(f"message: channel_id {channel!r} makes the invalid topic {topic!r} "
                             "(expected no '+', '#' or NUL, at most 65535 bytes)")
        return _Encoded(topic, payload, msg.get("id"))

    def _status(self, state: str) -> str:
        return json.dumps({"status": state, "client_id": self.client_id}, separators=(",", ":"))

    def _probe(self) -> str:
        """Why the broker is unreachable, in one phrase (a plain TCP connect)."""
        try:
            with socket.create_connection((self.host, self.port), timeout=2.0):
                return "the TCP port answers but the MQTT connection did not complete (TLS or protocol?)"
        except OSError as exc:
            return exc.strerror or str(exc) or type(exc).__name__

    def _shutdown(self) -> None:
        self._closing = True
        self._wake.set()
        if self._sender is not None:
            self._sender.join(timeout=5.0)
        try:
            self._client.disconnect()
        except (OSError, ValueError, RuntimeError) as exc:  # disconnecting a never-connected client
            log.debug("mqtt: disconnect: %s", exc)
        self._client.loop_stop()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            refused = f"refused by the broker: {reason_code}"
            if refused != self._refused:  # one line per reason, not one per retry
                log.error("mqtt: %s:%d refused the connection: %s; retrying with backoff",
                          self.host, self.port, reason_code)
            self._refused = refused
            return
        self._refused = None
        client.publish(self.status_topic, self._status("online"), qos=1, retain=True)
        if self._ever_connected:
            self.reconnects += 1
            away = time.monotonic() - self._lost_at if self._lost_at is not None else 0.0
            log.warning("mqtt: reconnected to %s:%d after %.1f s (%d frames dropped so far)",
                        self.host, self.port, away, self.frames_dropped)
        else:
            log.info("mqtt: connected to %s:%d as %s", self.host, self.port, self.client_id)
        self._ever_connected = True
        self._last_frame = None
        self._connected.set()
        self._wake.set()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        self._last_frame = None
        if was and not self._closing:
            self.disconnects += 1
            self._lost_at = time.monotonic()
            log.warning("mqtt: connection to %s:%d lost (%s); reconnecting with backoff %g..%g s",
                        self.host, self.port, reason_code, self.reconnect_min, self.reconnect_max)

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason_code: Any, properties: Any) -> None:
        # Processed by the sender thread (no lock taken in paho's thread).  An ack can beat
        # the sender's bookkeeping of its mid, so every mid is queued.  paho calls this when
        # it has written a QoS 0 frame or received a QoS 1 acknowledgement: either lets the
        # sender hand over the next message, so it is woken at once.
        self._acked.append(mid)
        if not self._wake.is_set():
            self._wake.set()

    def _send_loop(self) -> None:
        run = 0                 # errors in the current run (reset by a pass without error)
        logged_run = 0          # errors of this run already reported
        last_log = 0.0
        while not self._closing:
            self._wake.wait(self.poll_interval)
            self._wake.clear()
            try:
                self._send_pending()
                if run:
                    log.warning("mqtt: sender working again after %d errors (%d in all)", run, self.sender_errors)
                    run = 0
            except Exception as exc:  # noqa: BLE001 - the sender must outlive any one bad message
                self.sender_errors += 1
                run += 1
                now = time.monotonic()
                if run == 1 or now - last_log >= self.ERROR_LOG_PERIOD:
                    if run == 1:
                        log.error("mqtt: sender error (%s: %s); continuing", type(exc).__name__, exc)
                    else:
                        log.error("mqtt: %d more sender errors in %.0f s, %d in this run (last: %s: %s); "
                                  "continuing", run - logged_run, now - last_log, run, type(exc).__name__, exc)
                    last_log, logged_run = now, run
                self._frame_in_hand = False  # that frame counts as dropped
                with self._lock:
                    if self._in_hand is not None:  # that object track counts as unsent
                        self.object_tracks_unsent += 1
                        self._in_hand = None

    def _send_pending(self) -> None:
        """Hand acknowledgements, object tracks, then frames over (sender thread)."""
        while self._acked:
            mid = self._acked.popleft()
            if self._unacked.pop(mid, None) is not None:
                self.object_tracks_acked += 1
            else:
                last = self._last_frame
                if last is not None and last.mid == mid:  # paho wrote the last frame (it calls
                    self._last_frame = None               # on_publish before is_published() turns True)
        # Object tracks first: at most max_inflight unacknowledged in paho's hands.
        while len(self._unacked) < self.max_inflight:
            with self._lock:
                if not self._tracks:
                    break
                msg = self._in_hand = self._tracks.popleft()
            info = self._publish(msg, 1)  # queued by paho even offline
            with self._lock:
                if info is None:
                    self.object_tracks_unsent += 1
                else:
                    self._unacked[info.mid] = msg
                self._in_hand = None
        # Frames: only while connected and once paho has written the previous one.
        while self._connected.is_set():
            last = self._last_frame
            if last is not None and not last.is_published():
                break
            self._frame_in_hand = True  # before the pop, so flush() never sees an empty gap
            try:
                msg = self._frames.popleft()
            except IndexError:
                self._frame_in_hand = False
                break
            info = self._publish(msg, 0)
            if info is not None and info.rc == _paho.MQTT_ERR_SUCCESS:
                self.frames_sent += 1
                self._last_frame = info
            self._frame_in_hand = False
            if info is None or info.rc != _paho.MQTT_ERR_SUCCESS:
                break

    def _publish(self, msg: _Encoded, qos: int) -> Optional[Any]:
        """Hand one encoded message to paho; None (and a log line) if paho refuses it."""
        try:
            return self._client.publish(msg.topic, msg.payload, qos=qos)
        except ValueError as exc:  # checked at enqueue; paho's own rules are the last word
            log.error("mqtt: message not sent to %r: %s", msg.topic, exc)
            return None
