"""The staff web dashboard and the Open311 GeoReport v2 API (FastAPI).

Everything here is a front end over `community/`: every change to a request goes through
`community.lifecycle`, exactly as the Telegram bot's does.
"""
