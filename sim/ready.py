"""Is Rasa's model loaded, does the action server answer: probed one by one so the launcher
can show which it is still waiting for. (The bot process itself waits with
bot.rasa.wait_until_ready before it takes messages.)"""

import httpx


def rasa_model_loaded(url: str) -> bool:
    try:
        response = httpx.get(f"{url}/status", timeout=2)
        return response.status_code == 200 and bool(response.json().get("model_file"))
    except (httpx.HTTPError, ValueError):
        return False


def actions_healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
