"""schemathesis against the district server's own OpenAPI description: no 5xx, ever.

The app is the real one (`create_app` on a real district store), called in process
through its ASGI interface. Its endpoints read the raw body (a bundle), which the
generated description does not show, so the test adds that request body, in the
bundle media type, before handing the description over; schemathesis then sends
mutated genuine bundles and enrolment requests as well as arbitrary bytes, headers
and methods. Every answer must be below 500 and the district must apply nothing.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from fieldkit.district.limits import Limits
from fieldkit.district.server import create_app
from fieldkit.sync.wire import BUNDLE_MEDIA_TYPE
from tests.security.conftest import Sandbox, copy_sandbox, store_bytes
from tests.security.mutate import mutated

_GENUINE: list[bytes] = []


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    if _GENUINE and draw(st.integers(0, 3)):
        genuine = draw(st.sampled_from(_GENUINE))
        return draw(mutated(genuine, tuple(_GENUINE)))
    return draw(st.binary(max_size=2048))


schemathesis.openapi.media_type(BUNDLE_MEDIA_TYPE, bodies(), aliases=["application/octet-stream"])


@pytest.fixture(scope="module")
def district_app(template: Sandbox, tmp_path_factory: pytest.TempPathFactory):
    world = copy_sandbox(template, tmp_path_factory.mktemp("openapi"))
    _GENUINE[:] = [template.bundle_a, template.enrol_request_c]
    district = world.open_district()
    try:
        # Throttled enrolments answer after a second (tests/e2e/test_hostile_server.py):
        # what is tested here is every answer the app gives, not the throttle.
        unthrottled = Limits(enrol_per_address=10**6, enrol_per_code=10**6)
        yield world, create_app(district, limits=unthrottled)
    finally:
        district.close()


@pytest.fixture(scope="module")
def cases(district_app) -> st.SearchStrategy:
    """Requests schemathesis derives from the app's description, valid ones and not."""
    _, app = district_app
    description = app.openapi()
    assert {"/v1/health", "/v1/sync", "/v1/enrol"} <= set(description["paths"])
    body = {"content": {BUNDLE_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}}
    for path in ("/v1/sync", "/v1/enrol"):
        description["paths"][path]["post"]["requestBody"] = {"required": True, **body}
    schema = schemathesis.openapi.from_dict(description)
    schema.app = app
    return st.one_of(
        schema.as_strategy(), schema.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    )


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_server_never_answers_5xx_and_applies_nothing(district_app, cases, data):
    world, _ = district_app
    case = data.draw(cases)
    before = store_bytes(world.district_home)
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.status_code)
    assert store_bytes(world.district_home) == before
