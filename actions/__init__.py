"""Rasa custom actions (rasa-sdk, Python 3.11): the resident's dialogue calls `community/`.

Served by `python -m rasa_sdk --actions actions`; rasa-sdk imports every module here and
registers each concrete `Action`. `forms` holds the wish and service-order forms, `manage`
what a resident does with requests already made, `faq` the information desk's answers.
"""
