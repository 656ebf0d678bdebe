"""Nuanxin domain core: community structure, request lifecycle, routing, outbox, ledger.

This package never imports Telegram or Rasa: the bot, the Rasa actions and the admin CLI
all call into it, so every rule lives here once.
"""
