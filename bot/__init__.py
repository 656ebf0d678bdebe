"""The Telegram side of Nuanxin: resident relay, volunteer and staff handlers, the outbox
sender and the scheduler. Runs in one process; talks to community/ directly."""
