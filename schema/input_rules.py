"""What every string, ID and cursor a client sends may be, declared once per input field.

`STRING_RULES` gives each String argument and input field of the schema its longest
value and the characters it takes; every ID argument or field is a global ID
(`resolvers.global_id.decode_global_id`) and every `after` and `before` a cursor
(`resolvers.pagination.decode_cursor`). `InputRules`, attached by `check_inputs` to
every field that takes such an argument when the schema is built, applies them before
the field's resolver runs, so no use case and no database sees a value outside them:

- an ID or a cursor that is not one this API issued answers BAD_USER_INPUT;
- a string that is too long, or holds a character its field does not take, answers the
  payload's INVALID_INPUT user errors in a root mutation (every such field at once, and
  the mutation does nothing else), BAD_USER_INPUT anywhere else.

What is checked here is what no value of the field can be. What a value must mean (a
phone number, an address, a URL, a password strong enough) stays with the use case.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import (
    StrawberryContainer,
    StrawberryObjectDefinition,
    has_object_definition,
)

from auth.errors import BadUserInput
from resolvers.errors import Refused, UserErrorCode, user_error
from resolvers.global_id import decode_global_id
from resolvers.pagination import decode_cursor
from schema.sensitive import reachable_definitions


class Characters(Enum):
    """The characters a string field takes.

    Control characters (C0, DEL and C1) and unpaired surrogates are refused everywhere:
    no database stores NUL, and a surrogate cannot be encoded at all.
    """

    ONE_LINE = "one line"
    """No line breaks, tabs, line or paragraph separators, nor the bidirectional
    embeddings, overrides and isolates that make a name read as something else."""

    FREE_TEXT = "free text"
    """Line breaks (LF, CR), tabs and the Unicode line and paragraph separators too."""

    SECRET = "secret"  # noqa: S105 (the name of a character class, not a secret)
    """Every character but control characters: a password is compared, never shown."""


_REFUSED = {
    Characters.ONE_LINE: re.compile(
        "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
    ),
    Characters.FREE_TEXT: re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]"),
    Characters.SECRET: re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]"),
}
_CHARACTERS_MESSAGE = {
    Characters.ONE_LINE: "No line breaks or control characters.",
    Characters.FREE_TEXT: "No control characters other than line breaks and tabs.",
    Characters.SECRET: "No control characters.",
}


@dataclass(frozen=True)
class Text:
    """A string field: at most `max_length` characters (code points) of `characters`.

    `required`: the field takes 1 to `max_length` characters other than spaces. The use
    case refuses a blank value, so that a mutation reports it together with its other
    checks; here it only words the message of a value that is too long the same way.
    For a list of strings, `max_items` bounds the list and the rest each item.
    """

    max_length: int
    characters: Characters = Characters.ONE_LINE
    required: bool = False
    max_items: int | None = None

    def problems(self, value: str) -> Iterator[str]:
        if len(value) > self.max_length:
            yield self.length_message
        if _REFUSED[self.characters].search(value):
            yield _CHARACTERS_MESSAGE[self.characters]

    @property
    def length_message(self) -> str:
        if self.required:
            return f"Give 1 to {self.max_length} characters."
        return f"At most {self.max_length} characters."


def line(max_length: int, *, required: bool = False) -> Text:
    return Text(max_length, required=required)


def free_text(max_length: int, *, required: bool = False) -> Text:
    return Text(max_length, Characters.FREE_TEXT, required=required)


# Long enough for any passphrase; the password rules allow fewer (WEAK_PASSWORD).
PASSWORD = Text(1024, Characters.SECRET)
PHONE = line(32)
EMAIL = line(254)  # the longest address SMTP carries
SMS_CODE = line(16)
POLICY_VERSION = line(32)
PERSON_NAME = line(50, required=True)
DISPLAY_NAME = line(30, required=True)
ORGANISATION_NAME = line(200, required=True)
ID_NUMBER = line(32)
WECHAT_CODE = line(128)
ONE_TIME_TOKEN = line(128)
CONTACT = EMAIL  # a phone or an e-mail address
# Keys of the personal-data inventory (dataCategories), as many as it has and more.
CATEGORY_KEYS = Text(64, max_items=100)

# Every String argument ("Type.field(argument)") and input field ("Input.field").
# A field of the schema missing here, or an entry naming no field, fails the tests; a
# missing field is checked as UNDECLARED meanwhile.
STRING_RULES: dict[str, Text] = {
    "Query.wechatAuthorizeUrl(redirectUri)": line(500),
    "Query.privacyPolicy(version)": POLICY_VERSION,
    "AcceptPrivacyPolicyInput.version": POLICY_VERSION,
    "BindBankCardInput.bankName": line(100, required=True),
    "BindBankCardInput.branch": line(100, required=True),
    "BindBankCardInput.location": line(100, required=True),
    "BindBankCardInput.cardNumber": line(40),
    "BindBankCardInput.holderName": line(100, required=True),
    "BindEmailInput.email": EMAIL,
    "BindPhoneInput.phone": PHONE,
    "BindPhoneInput.code": SMS_CODE,
    "CancelAccountInput.confirmation": line(32),
    "ConfirmEmailInput.token": ONE_TIME_TOKEN,
    "CreateSubAccountInput.displayName": DISPLAY_NAME,
    "CreateSubAccountInput.email": EMAIL,
    "CreateSubAccountInput.phone": PHONE,
    "CreateSubAccountInput.password": PASSWORD,
    "ElevateSessionInput.smsCode": SMS_CODE,
    "ElevateSessionInput.password": PASSWORD,
    "ElevateSessionInput.totp": SMS_CODE,
    "ElevateSessionInput.wechatCode": WECHAT_CODE,
    "ElevateSessionInput.wechatState": ONE_TIME_TOKEN,
    "LinkWechatInput.code": WECHAT_CODE,
    "LinkWechatInput.state": ONE_TIME_TOKEN,
    "LoginStaffInput.email": EMAIL,
    "LoginStaffInput.password": PASSWORD,
    "LoginStaffInput.totp": SMS_CODE,
    "LoginWithPasswordInput.login": EMAIL,
    "LoginWithPasswordInput.password": PASSWORD,
    "LoginWithPasswordInput.code": SMS_CODE,
    "LoginWithSmsInput.phone": PHONE,
    "LoginWithSmsInput.code": SMS_CODE,
    "LoginWithSmsInput.acceptPolicyVersion": POLICY_VERSION,
    "LoginWithWechatInput.code": WECHAT_CODE,
    "LoginWithWechatInput.state": ONE_TIME_TOKEN,
    "LoginWithWechatInput.acceptPolicyVersion": POLICY_VERSION,
    "PublishPrivacyPolicyInput.version": line(32, required=True),
    "PublishPrivacyPolicyInput.summaryOfChanges": free_text(2000),
    "PublishPrivacyPolicyInput.body": free_text(200_000),
    "RecordGuardianConsentInput.guardianName": PERSON_NAME,
    "RecordGuardianConsentInput.guardianPhone": PHONE,
    "RecordGuardianConsentInput.code": SMS_CODE,
    "RecordSearchInput.query": line(200, required=True),
    "RecordSecurityIncidentInput.title": line(200, required=True),
    "RecordSecurityIncidentInput.description": free_text(5000, required=True),
    "RecordSecurityIncidentInput.measures": free_text(5000, required=True),
    "RecordSecurityIncidentInput.advice": free_text(5000, required=True),
    "RecordSecurityIncidentInput.categories": CATEGORY_KEYS,
    "RecordSecurityIncidentInput.cause": free_text(5000, required=True),
    "RecordSecurityIncidentInput.harm": free_text(5000, required=True),
    "RecordSecurityIncidentInput.contact": line(200, required=True),
    "RefreshSessionInput.refreshToken": line(256),
    "RegisterBusinessInput.email": EMAIL,
    "RegisterBusinessInput.businessName": ORGANISATION_NAME,
    "RegisterBusinessInput.urToken": line(64, required=True),
    "RegisterBusinessInput.password": PASSWORD,
    "RegisterBusinessInput.acceptPolicyVersion": POLICY_VERSION,
    "RegisterEnterpriseInput.companyName": ORGANISATION_NAME,
    "RegisterEnterpriseInput.email": EMAIL,
    "RegisterEnterpriseInput.phone": PHONE,
    "RegisterEnterpriseInput.smsCode": SMS_CODE,
    "RegisterEnterpriseInput.password": PASSWORD,
    "RegisterEnterpriseInput.acceptPolicyVersion": POLICY_VERSION,
    "RequestDataRequestCodeInput.contact": CONTACT,
    "RequestEmailCodeInput.email": EMAIL,
    "RequestSmsCodeInput.phone": PHONE,
    "ResolveDataRequestInput.note": free_text(2000),
    "ResolveDataRequestInput.categories": CATEGORY_KEYS,
    "ResolveDataRequestInput.correction": free_text(2000, required=True),
    "SetPasswordInput.currentPassword": PASSWORD,
    "SetPasswordInput.newPassword": PASSWORD,
    "SubAccountFilter.search": line(30),
    "SubAccountFilter.email": EMAIL,
    "SubAccountFilter.phone": PHONE,
    "SubmitDataRequestInput.details": free_text(2000),
    "SubmitDataRequestInput.categories": CATEGORY_KEYS,
    "SubmitVerifiedDataRequestInput.requesterName": line(100, required=True),
    "SubmitVerifiedDataRequestInput.contact": CONTACT,
    "SubmitVerifiedDataRequestInput.code": SMS_CODE,
    "SubmitVerifiedDataRequestInput.subjectName": line(100, required=True),
    "SubmitVerifiedDataRequestInput.subjectContact": CONTACT,
    "SubmitVerifiedDataRequestInput.evidence": line(500, required=True),
    "SubmitVerifiedDataRequestInput.details": free_text(2000),
    "SubmitVerifiedDataRequestInput.categories": CATEGORY_KEYS,
    "SubmitRealNameVerificationInput.realName": PERSON_NAME,
    "SubmitRealNameVerificationInput.idNumber": ID_NUMBER,
    "SubmitStudentVerificationInput.realName": PERSON_NAME,
    "SubmitStudentVerificationInput.idNumber": ID_NUMBER,
    "SubmitStudentVerificationInput.verificationCode": line(32),
    "SubmitStudentVerificationInput.school": line(100, required=True),
    "SubmitStudentVerificationInput.major": line(100, required=True),
    "UpdateProfileInput.displayName": DISPLAY_NAME,
    "UpdateProfileInput.avatarUrl": line(500),
    "UpdateProfileInput.bio": free_text(500),
    "UpdateProfileInput.industry": line(100),
    "UpdateProfileInput.position": line(100),
    "UpdateProfileInput.companySize": line(50),
    "UpdateProfileInput.needs": Text(50, required=True, max_items=20),
    "UpdateSubAccountInput.displayName": DISPLAY_NAME,
    "WithdrawGuardianConsentInput.minorPhone": PHONE,
    "WithdrawGuardianConsentInput.guardianPhone": PHONE,
    "WithdrawGuardianConsentInput.code": SMS_CODE,
}

# What a string field missing from the table takes until it is declared there (the
# tests fail meanwhile): checked all the same, strictly.
UNDECLARED = line(256)
CURSOR_ARGUMENTS = ("after", "before")
_names = NameConverter()


@dataclass(frozen=True)
class Violation:
    path: tuple[str, ...]
    message: str


class _GlobalId:
    """An ID argument or field: decoded, or BAD_USER_INPUT."""


@dataclass(frozen=True)
class _Cursor:
    """A connection's `after` or `before`: decoded, or BAD_USER_INPUT."""

    argument: str


@dataclass(frozen=True)
class _String:
    key: str
    rule: Text


@dataclass(frozen=True)
class _Input:
    fields: tuple[tuple[str, str, _Check], ...]  # python name, GraphQL name, check


_Check = _GlobalId | _Cursor | _String | _Input


def _named(annotation: Any) -> Any:
    while isinstance(annotation, StrawberryContainer):
        annotation = annotation.of_type
    return annotation


def _check_for(annotation: Any, key: str, seen: frozenset[type] = frozenset()) -> _Check | None:
    """What a value of `annotation` (the argument or field `key`) must pass, if anything."""
    named = _named(annotation)
    if named is strawberry.ID:
        return _GlobalId()
    if named is str:
        for argument in CURSOR_ARGUMENTS:
            if key.endswith(f"({argument})"):
                return _Cursor(argument)
        return _String(key, STRING_RULES.get(key, UNDECLARED))
    if isinstance(named, type) and has_object_definition(named) and named not in seen:
        definition: StrawberryObjectDefinition = named.__strawberry_definition__
        if definition.is_input:
            fields = []
            for field in definition.fields:
                name = _names.get_graphql_name(field)
                check = _check_for(field.type, f"{definition.name}.{name}", seen | {named})
                if check is not None:
                    fields.append((field.python_name, name, check))
            return _Input(tuple(fields)) if fields else None
    return None


def _values(value: Any) -> Iterator[Any]:
    """The value itself, or each item of a list (of lists)."""
    if isinstance(value, list):
        for item in value:
            yield from _values(item)
    elif value is not None and value is not strawberry.UNSET:
        yield value


def _violations(value: Any, check: _Check, path: tuple[str, ...]) -> Iterator[Violation]:
    """Raises BAD_USER_INPUT at once for an ID or cursor; yields what a string breaks."""
    if isinstance(check, _String) and isinstance(value, list):
        if check.rule.max_items is not None and len(value) > check.rule.max_items:
            yield Violation(path, f"At most {check.rule.max_items} items.")
    for item in _values(value):
        if isinstance(check, _GlobalId):
            try:
                decode_global_id(item)
            except BadUserInput as exc:
                where = ".".join(path)
                raise BadUserInput(f"`{where}` is not an ID this API issued.") from exc
        elif isinstance(check, _Cursor):
            decode_cursor(item, check.argument)
        elif isinstance(check, _String):
            for message in check.rule.problems(item):
                yield Violation(path, message)
        else:
            for python_name, name, inner in check.fields:
                yield from _violations(getattr(item, python_name, None), inner, (*path, name))


class InputRules(FieldExtension):
    """Applies the rules to a field's arguments before its resolver runs.

    In a root mutation (`in_payload`) a broken rule is a refusal: the payload's
    INVALID_INPUT user errors, every broken field at once. Elsewhere it is
    BAD_USER_INPUT.
    """

    def __init__(self, arguments: list[tuple[str, str, _Check]], in_payload: bool) -> None:
        self.arguments = arguments
        self.in_payload = in_payload

    def _check(self, kwargs: dict[str, Any]) -> None:
        found: list[Violation] = []
        for python_name, name, check in self.arguments:
            for violation in _violations(kwargs.get(python_name), check, (name,)):
                if violation not in found:
                    found.append(violation)
        if not found:
            return
        if not self.in_payload:
            first = found[0]
            where = ".".join(first.path)
            raise BadUserInput(f"`{where}`: {first.message[0].lower()}{first.message[1:]}")
        raise Refused(
            *(
                # The single `input` argument of a mutation is not named in `field`.
                user_error(
                    UserErrorCode.INVALID_INPUT,
                    v.message,
                    *(v.path[1:] if v.path[0] == "input" else v.path),
                )
                for v in found
            )
        )

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        self._check(kwargs)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        self._check(kwargs)
        return await next_(source, info, **kwargs)


def check_inputs(roots: Iterable[type], mutation_type: type[Any] | None = None) -> list[str]:
    """Attach `InputRules` to every field reachable from `roots` that takes a string or an
    ID, at any depth of its arguments (outermost of its extensions: nothing runs before
    it); the root mutations of `mutation_type` answer in their payloads. Returns the
    fields it was attached to, as `Type.field`.
    """
    mutations: set[int] = set()
    if mutation_type is not None:
        mutation: StrawberryObjectDefinition = mutation_type.__strawberry_definition__
        mutations = {id(field) for field in mutation.fields}
    attached = []
    for definition in reachable_definitions(roots):
        for field in definition.fields:
            field_name = _names.get_graphql_name(field)
            arguments = []
            for argument in field.arguments:
                name = _names.get_graphql_name(argument)
                check = _check_for(argument.type, f"{definition.name}.{field_name}({name})")
                if check is not None:
                    arguments.append((argument.python_name, name, check))
            if not arguments:
                continue
            if not any(isinstance(ext, InputRules) for ext in field.extensions):
                field.extensions.append(InputRules(arguments, id(field) in mutations))
            attached.append(f"{definition.name}.{field_name}")
    return attached
