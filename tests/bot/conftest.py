import pytest

from sim.emulator import EmulatorServer, EmulatorUnavailable


@pytest.fixture
def emulator():
    """The local Bot API emulator (telegram-test-api under node), stopped afterwards."""
    try:
        server = EmulatorServer().start()
    except EmulatorUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()
    assert server.process.poll() is not None
