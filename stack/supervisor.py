"""Keep the stack alive: a service that stops unexpectedly is started again, with
backoff, while the others keep serving.

Each service is watched by a thread of its own that waits for its process to
exit. When it does (a crash, an out-of-memory kill, someone's `kill`), the
supervisor reports it, waits (1 s, then doubling up to a minute while the service
keeps failing; back to 1 s once it has stayed up for a while), starts it again
with the same command and environment, and reports it back once its readiness
probe answers. Conversations live in the SQL tracker store, so a restarted Rasa
carries on where it was. `stop()` stops every service, including one being
restarted at that moment.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from stack.launch import Launch, stop_all
from stack.processes import Service, wait_ready

Report = Callable[[str], None]


@dataclass(frozen=True)
class Backoff:
    """Delays between restarts of a service that keeps failing."""

    initial_seconds: float = 1.0
    max_seconds: float = 60.0
    # Up this long, a service counts as healthy again: the next failure waits
    # the initial delay.
    stable_seconds: float = 120.0

    def delay(self, failures: int) -> float:
        """The wait before the restart after `failures` failures in a row (from 1)."""
        return min(self.max_seconds, self.initial_seconds * 2 ** max(0, failures - 1))


def print_report(message: str) -> None:
    print(message, flush=True)


class Supervisor:
    """Starts the services in order, restarts any that stops, stops them all."""

    def __init__(
        self, launches: list[Launch], report: Report = print_report, backoff: Backoff = Backoff()
    ) -> None:
        self.launches = launches
        self.report = report
        self.backoff = backoff
        self.services: dict[str, Service] = {}
        self.restarts: dict[str, int] = {launch.name: 0 for launch in launches}
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.watchers: list[threading.Thread] = []

    def start(self) -> None:
        """Start every service, each once the one before is ready; if one fails,
        stop those already up and raise."""
        try:
            for launch in self.launches:
                service = launch.spawn()
                with self.lock:
                    self.services[launch.name] = service
                wait_ready(service, launch.ready_url, launch.timeout)
        except BaseException:
            self.stop()
            raise

    def watch(self) -> None:
        """Watch every service from now on, restarting any that stops."""
        for launch in self.launches:
            watcher = threading.Thread(
                target=self._keep, args=(launch,), name=f"supervise-{launch.name}", daemon=True
            )
            watcher.start()
            self.watchers.append(watcher)

    def stop(self) -> None:
        """Stop every service, in the reverse order of their start."""
        self.stopping.set()
        with self.lock:
            running = [
                self.services[launch.name]
                for launch in self.launches
                if launch.name in self.services
            ]
        stop_all(running)

    def _respawn(self, launch: Launch) -> Service | None:
        """A new process for the service, unless the stack is stopping."""
        with self.lock:
            if self.stopping.is_set():
                return None
            service = launch.spawn()
            self.services[launch.name] = service
            return service

    def _keep(self, launch: Launch) -> None:
        failures = 0
        up_since = time.monotonic()
        while not self.stopping.is_set():
            with self.lock:
                service = self.services[launch.name]
            code = service.process.wait()
            if self.stopping.is_set():
                return
            if time.monotonic() - up_since >= self.backoff.stable_seconds:
                failures = 0
            failures += 1
            delay = self.backoff.delay(failures)
            self.report(
                f"{launch.name} stopped unexpectedly (exit code {code}); restarting "
                f"in {delay:.0f} s (log: {service.log_path})"
            )
            if self.stopping.wait(delay):
                return
            restarted = self._respawn(launch)
            if restarted is None:
                return
            try:
                wait_ready(restarted, launch.ready_url, launch.timeout)
            except RuntimeError:
                if not self.stopping.is_set():
                    self.report(f"{launch.name} did not come back (log: {service.log_path})")
                continue
            self.restarts[launch.name] += 1
            up_since = time.monotonic()
            self.report(f"{launch.name} is back (restart {self.restarts[launch.name]})")
