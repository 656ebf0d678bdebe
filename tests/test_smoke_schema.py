from sqlalchemy import select

from community.models import Building
from tests.builders import build_world


def test_world_builds_on_each_backend(db):
    with db.factory() as s, s.begin():
        build_world(s)
    with db.factory() as s:
        assert len(s.scalars(select(Building)).all()) == 5
