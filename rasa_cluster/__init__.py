"""Code that runs inside the Rasa server (its Python 3.10 environment) when several Rasa
servers share one conversation store: endpoints.cluster.yml names it."""
