"""The real action server (rasa-sdk, actions/) with every action call held for
NUANXIN_ACTION_DELAY seconds and recorded in NUANXIN_ACTION_LOG (one JSON line per call:
conversation, action, the user message it answers, start and end in epoch seconds), so a
test can see when each Rasa server was processing which message. For tests only:
`python -m tests.slow_action_server --actions actions -p PORT`."""

import asyncio
import json
import os
import time

from rasa_sdk.__main__ import main_from_args
from rasa_sdk.endpoint import create_argument_parser
from rasa_sdk.executor import ActionExecutor


class SlowActionExecutor(ActionExecutor):
    async def run(self, action_call):  # type: ignore[no-untyped-def]
        started = time.time()
        await asyncio.sleep(float(os.environ.get("NUANXIN_ACTION_DELAY", "0")))
        try:
            return await super().run(action_call)
        finally:
            record = {
                "sender": action_call.get("sender_id"),
                "action": action_call.get("next_action"),
                "text": ((action_call.get("tracker") or {}).get("latest_message") or {}).get("text"),
                "start": started,
                "end": time.time(),
            }
            with open(os.environ["NUANXIN_ACTION_LOG"], "a", encoding="utf-8") as log:
                log.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    import rasa_sdk.__main__

    from tests.slow_action_server import SlowActionExecutor as importable  # pickled into Sanic's worker

    rasa_sdk.__main__.ActionExecutor = importable  # main_from_args builds this one
    main_from_args(create_argument_parser().parse_args())
