"""Nuanxin NLU: custom Rasa components (components.py) and their pure logic
(normalize.py, timeparse.py, address.py, services.py), plus the jieba user
dictionary in jieba_dict/. Only components.py imports rasa."""
