"""The built-in and the HTTP identity verifier (docs/spec/settings.md#the-identity-verifier).

The HTTP verifier talks to a real HTTP server on a free loopback port, so what is
checked is what goes over the wire.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer

import pytest

from auth.identity_verifier import (
    MAX_REASON_LENGTH,
    BuiltInVerifier,
    HttpVerifier,
    IdentityVerifier,
    VerificationOutcome,
    VerificationRequest,
    VerificationUnavailable,
)
from tests.support.loopback import Received, RecordingHandler, free_loopback_port, serving

NAME = "张三丰"
ID_NUMBER = "11010519491231002X"
SCHOOL = "北京大学"
CODE = "ABCD1234EFGH"
TOKEN = "verifier-token-123"

REAL_NAME = VerificationRequest(kind="REAL_NAME", real_name=NAME, id_number=ID_NUMBER)
STUDENT = VerificationRequest(
    kind="STUDENT", real_name=NAME, id_number=ID_NUMBER, school=SCHOOL, verification_code=CODE
)

VERIFIED = b'{"verified": true, "reason": null}'


def assert_safe(text: str, *also: str) -> None:
    """``text`` names none of the submitted values, nor the token."""
    for secret in (NAME, ID_NUMBER, ID_NUMBER[:14], SCHOOL, CODE, TOKEN, *also):
        assert secret not in text


# --- built-in verifier --------------------------------------------------------------------


@pytest.mark.parametrize("request_", [REAL_NAME, STUDENT])
async def test_the_built_in_verifier_verifies_every_request(
    request_: VerificationRequest,
) -> None:
    verifier: IdentityVerifier = BuiltInVerifier()
    assert await verifier.verify(request_) == VerificationOutcome(
        verified=True, rejection_reason=None
    )


def test_a_request_does_not_show_personal_data_in_its_repr() -> None:
    text = repr(STUDENT)
    assert "STUDENT" in text
    assert_safe(text)


# --- a provider on a real local server -----------------------------------------------------


@dataclass
class ProviderStub:
    """Answers every POST with ``status`` and ``answer`` (``None``: hang up instead).

    With ``stall`` set, the answer waits until ``release`` is set (or 5 seconds), so a
    client with a short timeout gives up first.
    """

    server: ThreadingHTTPServer
    status: int = 200
    answer: bytes | None = VERIFIED
    content_type: str = "application/json"
    echo: bool = False
    stall: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/v1/verify"


class _Server(ThreadingHTTPServer):
    # Handler threads are joined on server_close(), so none outlives its test.
    daemon_threads = False


@pytest.fixture
def provider() -> Iterator[ProviderStub]:
    stub: ProviderStub

    class Handler(RecordingHandler):
        def do_POST(self) -> None:
            received = self.received()
            body = received.body
            stub.received.append(received)
            if stub.stall:
                stub.release.wait(timeout=5)
            if stub.answer is None:
                self.close_connection = True
                return  # hang up without answering
            # An error page that echoes the request, as some providers' do.
            answer = stub.answer + body if stub.echo else stub.answer
            try:
                self.send_response(stub.status)
                self.send_header("Content-Type", stub.content_type)
                self.send_header("Content-Length", str(len(answer)))
                if 300 <= stub.status < 400:
                    self.send_header("Location", "/v1/elsewhere")
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting

    server = _Server(("127.0.0.1", 0), Handler)
    stub = ProviderStub(server=server)
    with serving(server):
        try:
            yield stub
        finally:
            stub.release.set()


@pytest.fixture
async def verifier(provider: ProviderStub) -> AsyncIterator[HttpVerifier]:
    async with HttpVerifier(provider.url, token=TOKEN, timeout=5) as http_verifier:
        yield http_verifier


# --- what is sent ---------------------------------------------------------------------------


async def test_a_real_name_request_is_posted_as_json_with_the_token(
    provider: ProviderStub, verifier: HttpVerifier
) -> None:
    await verifier.verify(REAL_NAME)

    assert len(provider.received) == 1
    request = provider.received[0]
    assert request.path == "/v1/verify"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {
        "kind": "REAL_NAME",
        "realName": NAME,
        "idNumber": ID_NUMBER,
        "school": None,
        "verificationCode": None,
    }


async def test_a_student_request_carries_the_school_and_code(
    provider: ProviderStub, verifier: HttpVerifier
) -> None:
    await verifier.verify(STUDENT)

    assert json.loads(provider.received[0].body) == {
        "kind": "STUDENT",
        "realName": NAME,
        "idNumber": ID_NUMBER,
        "school": SCHOOL,
        "verificationCode": CODE,
    }


async def test_no_authorization_header_without_a_token(provider: ProviderStub) -> None:
    async with HttpVerifier(provider.url) as verifier:
        await verifier.verify(REAL_NAME)

    assert "authorization" not in provider.received[0].headers


# --- what is answered ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (VERIFIED, VerificationOutcome(verified=True, rejection_reason=None)),
        (b'{"verified": true}', VerificationOutcome(verified=True, rejection_reason=None)),
        # A reason given with a verification is no rejection reason.
        (
            b'{"verified": true, "reason": "matched"}',
            VerificationOutcome(verified=True, rejection_reason=None),
        ),
        (
            b'{"verified": false, "reason": "Name and ID number do not match."}',
            VerificationOutcome(
                verified=False, rejection_reason="Name and ID number do not match."
            ),
        ),
        (
            b'{"verified": false, "reason": null}',
            VerificationOutcome(verified=False, rejection_reason=None),
        ),
        (b'{"verified": false}', VerificationOutcome(verified=False, rejection_reason=None)),
        (
            b'{"verified": false, "reason": "", "extra": 1}',
            VerificationOutcome(verified=False, rejection_reason=None),
        ),
    ],
)
async def test_the_providers_answer_becomes_the_outcome(
    provider: ProviderStub,
    verifier: HttpVerifier,
    answer: bytes,
    outcome: VerificationOutcome,
) -> None:
    provider.answer = answer
    assert await verifier.verify(STUDENT) == outcome


async def test_a_long_rejection_reason_is_cut(
    provider: ProviderStub, verifier: HttpVerifier
) -> None:
    provider.answer = json.dumps({"verified": False, "reason": "证" * 500}).encode()

    outcome = await verifier.verify(REAL_NAME)

    assert outcome.rejection_reason == "证" * MAX_REASON_LENGTH


async def test_a_201_answer_is_a_success_too(
    provider: ProviderStub, verifier: HttpVerifier
) -> None:
    provider.status = 201
    assert (await verifier.verify(REAL_NAME)).verified is True


# --- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503, 404, 401, 400, 302])
async def test_a_non_2xx_answer_raises(
    provider: ProviderStub, verifier: HttpVerifier, status: int
) -> None:
    provider.status = status
    provider.answer = b"error: "
    provider.echo = True  # the error page quotes the request

    with pytest.raises(VerificationUnavailable) as raised:
        await verifier.verify(STUDENT)

    text = str(raised.value)
    assert f"HTTP {status}" in text
    assert "STUDENT" in text
    assert_safe(text, provider.url)
    assert len(provider.received) == 1  # one try; redirects are not followed


@pytest.mark.parametrize(
    "answer",
    [
        b"verified",
        b"",
        b"null",
        b"[]",
        b'["verified", true]',
        b"{}",
        b'{"verified": "true"}',
        b'{"verified": 1}',
        b'{"verified": null}',
        b'{"Verified": true}',
        b'{"verified": false, "reason": 5}',
        b'{"verified": false, "reason": ["no"]}',
        b'{"verified": tru',
        b"\xff\xfe\x00{",
    ],
)
async def test_a_malformed_answer_raises(
    provider: ProviderStub, verifier: HttpVerifier, answer: bytes
) -> None:
    provider.answer = answer

    with pytest.raises(VerificationUnavailable) as raised:
        await verifier.verify(REAL_NAME)

    text = str(raised.value)
    assert "malformed" in text
    assert "REAL_NAME" in text
    assert_safe(text, provider.url)


async def test_a_malformed_answer_echoing_the_request_is_not_quoted(
    provider: ProviderStub, verifier: HttpVerifier
) -> None:
    provider.answer = b'{"verified": "maybe", "request": '
    provider.echo = True

    with pytest.raises(VerificationUnavailable) as raised:
        await verifier.verify(STUDENT)

    assert_safe(str(raised.value))
    assert_safe(repr(raised.value))


async def test_a_timeout_raises(provider: ProviderStub) -> None:
    provider.stall = True

    async with HttpVerifier(provider.url, token=TOKEN, timeout=0.2) as verifier:
        with pytest.raises(VerificationUnavailable) as raised:
            await verifier.verify(STUDENT)

    text = str(raised.value)
    assert "ReadTimeout" in text
    assert_safe(text, provider.url)


async def test_a_provider_hanging_up_raises(provider: ProviderStub, verifier: HttpVerifier) -> None:
    provider.answer = None

    with pytest.raises(VerificationUnavailable) as raised:
        await verifier.verify(REAL_NAME)

    text = str(raised.value)
    assert "RemoteProtocolError" in text
    assert_safe(text, provider.url)


async def test_a_refused_connection_raises() -> None:
    url = f"http://127.0.0.1:{free_loopback_port()}/v1/verify"
    async with HttpVerifier(url, token=TOKEN, timeout=2) as verifier:
        with pytest.raises(VerificationUnavailable) as raised:
            await verifier.verify(STUDENT)

    text = str(raised.value)
    assert "ConnectError" in text
    assert_safe(text, url)


async def test_the_verifier_repr_hides_the_url_and_token() -> None:
    async with HttpVerifier("https://verify.example/check?key=s3cret", token=TOKEN) as verifier:
        text = repr(verifier)
    assert "s3cret" not in text
    assert_safe(text)
