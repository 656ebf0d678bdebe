"""Property-based check of the Open311 endpoints against the app's own OpenAPI document
(schemathesis): whatever a client sends, the answer is never a server error and always
matches the documented status codes, content types and response schemas."""

import atexit
import shutil
import tempfile
import warnings
import zlib
from pathlib import Path
from xml.etree import ElementTree

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from community.db import make_engine, session_factory, transaction, upgrade
from community.models import Person
from community.routing import invalidate_buildings
from tests.builders import build_world
from tests.web.conftest import SETTINGS
from web import auth
from web.app import create_app

warnings.filterwarnings("ignore", message=".*httpx2.*")
# Hypothesis keeps caches under ./.hypothesis by default; keep the work tree clean.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "nuanxin-hypothesis")


def _app_and_key():
    """A migrated SQLite database with the test community, built at import: schemathesis
    reads the OpenAPI document when the tests are collected."""
    invalidate_buildings()
    folder = Path(tempfile.mkdtemp(prefix="nuanxin-open311-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    engine = make_engine(f"sqlite:///{folder / 'schema.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        world = build_world(s)
        key = auth.create_api_key(s, world.community.id, "12345热线", s.get(Person, world.staff.person_id))
    invalidate_buildings()
    return create_app(factory, SETTINGS), key


APP, API_KEY = _app_and_key()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture
def api_key():
    invalidate_buildings()  # building ids of this database, not another test's
    yield API_KEY
    invalidate_buildings()


@schema.parametrize()
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_open311_matches_its_openapi_document(case, api_key):
    # Half the examples carry the real key (to reach the data), half whatever was generated (403s).
    if zlib.crc32((repr(case.query) + repr(case.body)).encode()) % 2 == 0:
        if case.method == "POST" and isinstance(case.body, dict):
            case.body["api_key"] = api_key
        elif case.method == "GET":
            case.query = {**(case.query or {}), "api_key": api_key}
    response = case.call()
    # Business rules (a resolvable address, a valid phone, a code on the menu) are not in the
    # schema, so schema-valid data may still get a documented 400/404: don't demand a 2xx.
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
    if response.status_code >= 400:
        if "xml" in str(response.headers.get("content-type")):
            error = ElementTree.fromstring(response.content).find("error")
            code, description = int(error.findtext("code")), error.findtext("description")
        else:
            code, description = response.json()[0]["code"], response.json()[0]["description"]
        assert code == response.status_code and description
