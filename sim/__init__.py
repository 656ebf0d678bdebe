"""The product end to end on one machine: the launcher (`python -m sim run|demo|chat`), a
simulated community day played through the real bot and the local Bot API emulator, a
terminal chat, and the day's chart.

- `sim.stack`: starts the emulator and, with honcho (Procfile.offline), Rasa, the action
  server and the bot; waits until they are ready; stops every process group it started.
- `sim.ready`: probes for the launcher's progress line (Rasa model loaded, action server
  healthy); the bot process does not wait (bot.rasa.RasaRelay.watch: guided order until then).
- `sim.emulated_bot`: `python -m bot` with the emulator's request adapter.
- `sim.hub`: one poller of the emulator's history feeding the transcript and each user.
- `sim.day`: the scripted day; `sim.chat`: talk to the bot yourself; `sim.chart`: the PNG.
"""
