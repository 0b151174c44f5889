"""Running the gateway: in a background thread (demo, tests) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import uvicorn

from tui.sim.app import create_app
from tui.sim.child import listening_socket
from tui.sim.current_world import CurrentWorld
from tui.sim.faults import FaultConfig
from tui.sim.kernel_world import KernelWorld
from tui.sim.options import GatewayOptions as GatewayOptions
from tui.sim.scenarios import CURRENT_SCENARIOS
from tui.sim.world import World


class GatewayServer:
    """The embedded gateway on a loopback socket, served by uvicorn in its own thread."""

    def __init__(
        self,
        options: GatewayOptions | None = None,
        *,
        world: World | None = None,
        faults: FaultConfig | None = None,
        sock: socket.socket | None = None,
    ) -> None:
        self.options = options or GatewayOptions()
        if world is None:
            frozen_at = time.time()
            world = World(
                self.options.scenario,
                seed=self.options.seed,
                invocations=self.options.invocations,
                speed=self.options.speed,
                clock=(lambda: frozen_at) if self.options.frozen else None,
            )
        self.world = world
        self.kernel = KernelWorld(world)
        self.current = CurrentWorld(world) if world.scenario in CURRENT_SCENARIOS else None
        """The current API's world in the current scenarios (None elsewhere)."""
        if faults is None:
            faults = FaultConfig(rate=self.options.fault_rate if self.options.faults else 0.0)
        self.faults = faults
        self.app = create_app(
            self.world,
            token=self.options.token,
            faults=self.faults,
            kernel=self.kernel,
            current=self.current,
        )
        self._sock = (
            sock if sock is not None else listening_socket(self.options.host, self.options.port)
        )
        self.port = int(self._sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            log_level="critical",
            lifespan="off",
            timeout_graceful_shutdown=1,
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The origin clients use, e.g. ``http://127.0.0.1:8787``."""
        return f"http://{self.options.host}:{self.port}"

    def start(self) -> GatewayServer:
        """Serve in a daemon thread; returns once the socket accepts connections."""
        started = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)

            async def serve() -> None:
                task = asyncio.ensure_future(self._server.serve(sockets=[self._sock]))
                while not self._server.started and not task.done():  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                started.set()
                await task

            try:
                loop.run_until_complete(serve())
            finally:
                started.set()
                loop.close()

        self._thread = threading.Thread(target=run, name="runwatch-gateway", daemon=True)
        self._thread.start()
        started.wait(10)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)
        self._sock.close()

    def __enter__(self) -> GatewayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self._server.run(sockets=[self._sock])
