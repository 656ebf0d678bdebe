from tests.bot.conftest import emulator  # noqa: F401 - the Bot API emulator fixture
