"""A Sentinel-watched Redis on loopback: one primary, one replica and three sentinels, for failover tests.

The servers are ``redis-server`` from the production config (``config/redis.conf``, AOF on), the sentinels
``redis-server <conf> --sentinel`` (or Debian's ``redis-sentinel``) with config files generated in the
test's folder (sentinels rewrite their own config). Failure detection is shortened for tests
(``down-after-milliseconds`` 1000, ``failover-timeout`` 5000 by default) and a replica is synced at
once (``repl-diskless-sync-delay 0``: with one replica there is nobody else to wait for); everything else
is the production config and Redis's defaults, so a failover here goes through the same steps as in
production: subjective down, quorum of two, leader election, the replica promoted, the others (and the
old primary, once back) reconfigured.

With ``through_proxy`` the primary is reached only through a :class:`reliability.stack.TcpProxy`, by the
sentinels, the replica and the clients alike: cutting the proxy isolates the primary from the network
while it keeps running (a partition, not a crash). With ``replication_proxy`` only the replica's link to
the primary goes through a proxy: cutting it holds replication back while clients still write, which is
the window in which an acknowledged write exists on the primary alone.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis
from reliability.stack import LOOPBACK, RedisServer, TcpProxy, _answers_ping, free_port, wait_until

SERVICE = "kanra"
NODE_ARGS = ("--repl-diskless-sync-delay", "0")


def sentinel_command() -> list[str]:
    """How to start a sentinel here: ``redis-sentinel``, else ``redis-server ... --sentinel``."""
    if shutil.which("redis-sentinel"):
        return [shutil.which("redis-sentinel") or "redis-sentinel"]
    if shutil.which("redis-server"):
        return [shutil.which("redis-server") or "redis-server"]
    raise FileNotFoundError("neither redis-sentinel nor redis-server is installed (scripts/ensure_sentinel.sh)")


class SentinelProcess:
    """One sentinel watching the primary at ``LOOPBACK:monitor_port`` (quorum 2 of 3).

    Parameters
    ----------
    workdir
        Folder for its config file (rewritten by the sentinel) and log.
    monitor_port
        Port of the primary (or of the proxy in front of it).
    down_after_ms, failover_timeout_ms
        Milliseconds without an answer before the primary counts as down; failover timeout.
    """

    def __init__(self, workdir: Path, monitor_port: int, down_after_ms: int = 1000,
                 failover_timeout_ms: int = 5000, quorum: int = 2, port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.conf = self.workdir / "sentinel.conf"
        self.conf.write_text("\n".join([
            f"port {self.port}", f"bind {LOOPBACK}", "protected-mode no", "daemonize no",
            f"dir {self.workdir}", f"logfile {self.workdir / 'sentinel.log'}",
            f"sentinel monitor {SERVICE} {LOOPBACK} {monitor_port} {quorum}",
            f"sentinel down-after-milliseconds {SERVICE} {down_after_ms}",
            f"sentinel failover-timeout {SERVICE} {failover_timeout_ms}",
            f"sentinel parallel-syncs {SERVICE} 1", ""]), encoding="utf-8")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> SentinelProcess:
        command = sentinel_command()
        args = [*command, str(self.conf)] + (["--sentinel"] if command[0].endswith("redis-server") else [])
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _answers_ping(self.port) or self.proc.poll() is not None, timeout_s, "redis sentinel")
        if self.proc.poll() is not None:
            raise RuntimeError(f"sentinel exited: {self.log_tail()}")
        return self

    def client(self) -> redis.Redis:
        return redis.Redis(LOOPBACK, self.port, decode_responses=True, socket_timeout=1)

    def master(self) -> dict:
        """This sentinel's view of the service (``SENTINEL MASTER``)."""
        with self.client() as client:
            return client.sentinel_master(SERVICE)

    def master_port(self) -> int | None:
        try:
            with self.client() as client:
                address = client.sentinel_get_master_addr_by_name(SERVICE)
        except redis.RedisError:
            return None
        return int(address[1]) if address else None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def log_tail(self, lines: int = 30) -> str:
        log = self.workdir / "sentinel.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


class SentinelStack:
    """Primary, replica and three sentinels on free loopback ports; see the module docstring.

    ``servers`` maps each data node's address port (the proxy's for the primary behind a proxy) to its
    :class:`RedisServer`, so the current primary named by the sentinels can be killed or restarted.
    """

    def __init__(self, workdir: Path, down_after_ms: int = 1000, failover_timeout_ms: int = 5000,
                 through_proxy: bool = False, replication_proxy: bool = False) -> None:
        self.workdir = Path(workdir)
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.primary = RedisServer(self.workdir / "primary", extra_args=list(NODE_ARGS), own_config=True)
        self.proxy = TcpProxy(self.primary.port) if through_proxy else None
        upstream = self.proxy.port if self.proxy else self.primary.port
        self.replication_proxy = TcpProxy(self.primary.port) if replication_proxy and not self.proxy else None
        source = self.replication_proxy.port if self.replication_proxy else upstream
        self.replica = RedisServer(self.workdir / "replica", own_config=True,
                                   extra_args=[*NODE_ARGS, "--replicaof", LOOPBACK, str(source)])
        self.servers = {upstream: self.primary, self.replica.port: self.replica}
        self.sentinels = [SentinelProcess(self.workdir / f"sentinel-{n}", upstream, down_after_ms,
                                          failover_timeout_ms) for n in range(3)]

    def url(self, db: int = 0) -> str:
        """``REDIS_URL`` of the service through the three sentinels."""
        nodes = ",".join(f"{LOOPBACK}:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{nodes}/{SERVICE}/{db}"

    def start(self, timeout_s: float = 30.0) -> SentinelStack:
        """Start everything and wait until every sentinel knows the replica and the two other sentinels."""
        self.primary.start()
        for proxy in (self.proxy, self.replication_proxy):
            if proxy:
                proxy.start()
        self.replica.start()
        self.wait_replicas(1, timeout_s)
        for sentinel in self.sentinels:
            sentinel.start()

        def watching() -> bool:
            try:
                views = [s.master() for s in self.sentinels]
            except redis.RedisError:
                return False
            return all(int(v["num-slaves"]) >= 1 and int(v["num-other-sentinels"]) >= 2 for v in views)

        wait_until(watching, timeout_s, "three sentinels watching the primary and its replica", pause_s=0.2)
        return self

    def master_port(self) -> int | None:
        """The primary's address port as a majority of the sentinels names it now (None if no majority)."""
        ports = [s.master_port() for s in self.sentinels]
        for port in set(ports):
            if port is not None and ports.count(port) >= 2:
                return port
        return None

    def current_primary(self) -> RedisServer:
        port = self.master_port()
        if port is None:
            raise RuntimeError("the sentinels name no primary")
        return self.servers[port]

    def client(self, port: int | None = None, db: int = 0) -> redis.Redis:
        """A direct client of the node at address ``port`` (default: the current primary)."""
        port = port or self.master_port()
        return redis.Redis(LOOPBACK, port, db=db, decode_responses=True, socket_timeout=2)

    def wait_failover(self, old_port: int, timeout_s: float = 30.0) -> tuple[int, float]:
        """Wait until every sentinel names a primary other than ``old_port`` and it takes writes.

        Returns the new primary's port and the seconds waited.
        """
        began = time.monotonic()

        def switched() -> bool:
            ports = {s.master_port() for s in self.sentinels}
            if len(ports) != 1 or None in ports or old_port in ports:
                return False
            try:
                with self.client(ports.pop()) as client:
                    return client.info("replication")["role"] == "master"
            except redis.RedisError:
                return False

        wait_until(switched, timeout_s, "the sentinels promoting the replica", pause_s=0.1)
        return int(self.master_port() or 0), time.monotonic() - began

    def restart_as_replica(self, server: RedisServer) -> None:
        """Start a node that was down (a crashed primary) as a replica of the primary the sentinels name now.

        What a node's start script does in production (ask the sentinels before joining); left alone, the
        sentinels would reconfigure it too, but only at their next ``INFO`` round (up to 10 s).
        """
        port = self.master_port()
        if port is None:
            raise RuntimeError("the sentinels name no primary to replicate from")
        server.extra_args = [*NODE_ARGS, "--replicaof", LOOPBACK, str(port)]
        server.start()

    def wait_replicas(self, count: int, timeout_s: float = 30.0) -> None:
        """Wait until the current primary has ``count`` replicas online and in sync."""
        def online() -> bool:
            try:
                port = self.master_port() if self.sentinels[0].proc is not None else None
                with self.client(port or self.primary.port) as client:
                    info = client.info("replication")
            except (redis.RedisError, KeyError):
                return False
            slaves = [v for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)]
            return sum(s.get("state") == "online" for s in slaves) >= count

        wait_until(online, timeout_s, f"{count} replica(s) online", pause_s=0.1)

    def close(self) -> None:
        for sentinel in self.sentinels:
            sentinel.stop(signal.SIGKILL)
        for server in self.servers.values():
            server.stop(signal.SIGKILL)
        for proxy in (self.proxy, self.replication_proxy):
            if proxy:
                proxy.close()

    def logs(self) -> str:
        """Tails of every sentinel's log (for a failing test's message)."""
        return "\n".join(f"--- sentinel {s.port}\n{s.log_tail()}" for s in self.sentinels)

    def __enter__(self) -> SentinelStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
