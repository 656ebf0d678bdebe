"""Code that runs inside the Rasa server (Rasa's Python 3.10 environment):

- `python -m rasa_server run …` is `rasa run …` with `speedups` applied first (how
  scripts/rasa-server.sh, the tests and the benchmarks start Rasa);
- `lock_store`: the atomic Redis lock store endpoints.cluster.yml names for several servers.
"""
