"""The registry's models: a `Unit`, a `Group`, and the `Registry` holding them.

`Unit` and `Group` are the pydantic models a registry file is validated with (see
`thidua.registry.validation`): their validators accept what YAML, CSV and Excel
give (codes in any case, “a; b” lists, 38.0 or “1.234” as a head count, Vietnamese
kind labels) and refuse the rest with a Vietnamese `FieldProblem`, which the
validation turns into a located `Problem`.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, NamedTuple

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from thidua.errors import Problem
from thidua.registry import contacts as _contacts
from thidua.registry.vocabulary import (
    CODE_HELP,
    CODE_RE,
    DIGEST_HELP,
    GROUP_KIND_LOOKUP,
    GROUP_KINDS_HELP,
    SECRET_HELP,
    Digest,
    GroupKind,
    UnitKind,
    code_key,
)
from thidua.text.fold import fold_words
from thidua.text.names import MAX_NAME, clean_text, escaped

#: people in one unit; a bigger number is a typo (and would overflow quota arithmetic)
MAX_HEADCOUNT = 1_000_000

_UNSET: Any = object()


class FieldProblem(ValueError):
    """A field refused in Vietnamese; `value` is what the message shows (if anything).

    A ValueError, so pydantic reports it as the field's error and keeps the
    exception itself for `thidua.registry.validation` to translate.
    """

    def __init__(self, message: str, value: Any = _UNSET) -> None:
        self.message = message
        self.value = value
        super().__init__(message)

    @property
    def has_value(self) -> bool:
        return self.value is not _UNSET


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- field rules: each takes the raw value and returns the clean one or raises ------------


def clean_code(value: Any, what: str) -> str:
    """A code, upper case; `what` names it (“mã đơn vị (code)”)."""
    if _blank(value):
        raise FieldProblem(f"thiếu {what}; cần {CODE_HELP}")
    if not isinstance(value, str):
        raise FieldProblem(f"{what} phải là chuỗi (đặt trong dấu nháy); cần {CODE_HELP}", value)
    code = code_key(value)
    if not CODE_RE.match(code):
        raise FieldProblem(f"{what} không hợp lệ; cần {CODE_HELP}", value)
    return code


def clean_optional_code(value: Any, what: str) -> str | None:
    """`clean_code`, with None and "" meaning no code (a blank of spaces is still missing)."""
    return None if value is None or value == "" else clean_code(value, what)


def clean_name(value: Any, what: str, *, required: bool) -> str | None:
    """A one-line name or text, NFC, invisible characters refused."""
    if _blank(value):
        if required:
            raise FieldProblem(f"thiếu {what}")
        return None
    if not isinstance(value, str):
        raise FieldProblem(f"{what} phải là chuỗi văn bản", value)
    try:
        return clean_text(value, what, limit=MAX_NAME)
    except ValueError as exc:
        raise FieldProblem(str(exc), escaped(" ".join(value.split()))) from None


def clean_headcount(value: Any) -> int | None:
    """People in a unit: an int, a whole float (Excel), or digits with a thousands separator."""
    if _blank(value):
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        # Excel stores every number as a float: 38.0 is 38
        number = int(value)
    elif isinstance(value, str) and len(value.strip()) <= 20:
        # longer digit strings are refused unread: int() of 5,000 digits raises
        text = value.strip().replace(" ", "")
        if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text):
            # Vietnamese thousands separator: "1.234" is 1234 people
            number = int(re.sub(r"[.,]", "", text))
        elif m := re.fullmatch(r"(\d+)(?:[.,]0+)?", text):
            number = int(m.group(1))
        elif re.fullmatch(r"-\d+", text):
            number = int(text)
    if number is None or number < 0:
        raise FieldProblem("số CBCCVC phải là số nguyên không âm, ví dụ 38", value)
    if number > MAX_HEADCOUNT:
        # also keeps quota arithmetic (headcount × ratio, as floats) in range
        limit = f"{MAX_HEADCOUNT:,}".replace(",", ".")
        raise FieldProblem(f"số CBCCVC quá lớn; một đơn vị không quá {limit} người", value)
    return number


def split_list(value: Any, separators: str, example: str, *, show: bool) -> list[Any]:
    """A list as YAML gives it, or one cell of a table holding “a; b”; `show` puts a
    refused value in the message."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in re.split(separators, value) if part.strip()]
    if not isinstance(value, list | tuple):
        raise FieldProblem(example, value) if show else FieldProblem(example)
    return list(value)


def clean_contact(value: Any) -> str:
    """One Apprise URL, checked without Apprise: its shape and no literal secret."""
    if not isinstance(value, str):
        raise FieldProblem("địa chỉ liên hệ phải là chuỗi, ví dụ “outbox://sngv”")
    url = value.strip()
    error = _contacts.check_local(url)
    if error:
        raise FieldProblem(error, _contacts.display(url))
    secrets = _contacts.literal_secrets(url)
    if secrets:
        raise FieldProblem(
            f"không được ghi bí mật trực tiếp ({', '.join(secrets)}); {SECRET_HELP}",
            _contacts.display(url),
        )
    return url


def clean_unit_kind(value: Any) -> UnitKind:
    """A kind by its code or a Vietnamese label (“UBND xã”); required."""
    if _blank(value):
        raise FieldProblem(f"thiếu loại đơn vị (kind); dùng một trong: {UnitKind.allowed()}")
    try:
        return UnitKind.parse(value)
    except ValueError as exc:
        raise FieldProblem(str(exc), value) from None


def clean_group_kind(value: Any) -> GroupKind:
    """khoi, cum or nhom, by code or as offices write it (“Cụm thi đua”); blank is nhom."""
    if _blank(value):
        return "nhom"
    found = GROUP_KIND_LOOKUP.get(fold_words(value)) if isinstance(value, str) else None
    if found is None:
        raise FieldProblem(f"loại nhóm không hợp lệ; dùng một trong: {GROUP_KINDS_HELP}", value)
    return found


def clean_digest(value: Any) -> Digest | None:
    """weekly / none, in English or Vietnamese (“hằng tuần”, “hang-tuan”); blank: not said
    (a unit then follows its groups)."""
    if _blank(value):
        return None
    try:
        return Digest.parse(value)
    except ValueError:
        shown = value if isinstance(value, str | int | float | bool) else type(value).__name__
        raise FieldProblem(
            f"bản tin (digest) không hợp lệ; dùng một trong: {DIGEST_HELP}", shown
        ) from None


def rule(check: Callable[..., Any], *args: Any, **kwargs: Any) -> BeforeValidator:
    """A field rule as a pydantic validator, given the words it uses (“mã đơn vị (code)”)."""
    return BeforeValidator(lambda value: check(value, *args, **kwargs))


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    # "A; a" or a contact written twice is one membership, one address
    return tuple(dict.fromkeys(items))


GROUPS_EXAMPLE = "cần danh sách nhóm, ví dụ [KHOI-TONG-HOP]"
CONTACTS_EXAMPLE = "cần danh sách địa chỉ Apprise, ví dụ [outbox://sngv]"
GroupRef = Annotated[str, rule(clean_code, "mã nhóm")]
Contact = Annotated[str, BeforeValidator(clean_contact)]


# --- models --------------------------------------------------------------------------


class RegistryModel(BaseModel):
    # defer_build: a registry served from its compiled cache never validates, so
    # building validators at import would be wasted on most CLI calls.
    # validate_default: a missing field goes through its rule, which words the message.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, validate_default=True)


class Group(RegistryModel):
    """A named set of units: khối / cụm thi đua, or any other group (nhóm)."""

    code: Annotated[str, rule(clean_code, "mã nhóm (code)")] = None  # type: ignore[assignment]
    name: Annotated[str, rule(clean_name, "tên nhóm (name)", required=True)] = None  # type: ignore[assignment]
    kind: Annotated[GroupKind, BeforeValidator(clean_group_kind)] = "nhom"
    head: Annotated[str | None, rule(clean_optional_code, "mã đơn vị trưởng nhóm (head)")] = None
    #: weekly: the group's units take one weekly digest instead of separate reminders
    digest: Annotated[Digest | None, BeforeValidator(clean_digest)] = None


class Unit(RegistryModel):
    """One unit (đơn vị) of the registry and the addresses it is notified at."""

    code: Annotated[str, rule(clean_code, "mã đơn vị (code)")] = None  # type: ignore[assignment]
    name: Annotated[str, rule(clean_name, "tên đơn vị (name)", required=True)] = None  # type: ignore[assignment]
    kind: Annotated[UnitKind, BeforeValidator(clean_unit_kind)] = None  # type: ignore[assignment]
    groups: Annotated[
        tuple[GroupRef, ...],
        rule(split_list, r"[;,]", GROUPS_EXAMPLE, show=True),
        AfterValidator(_unique),
    ] = ()
    supervisor: Annotated[str | None, rule(clean_optional_code, "mã đơn vị cấp trên")] = None
    head: Annotated[str | None, rule(clean_name, "thủ trưởng (head)", required=False)] = None
    headcount: Annotated[int | None, BeforeValidator(clean_headcount)] = None
    contacts: Annotated[
        tuple[Contact, ...],
        rule(split_list, r"[\s;]+", CONTACTS_EXAMPLE, show=False),
        AfterValidator(_unique),
    ] = ()
    # Shown to people (a notice's contact line), never used to send: contacts do that.
    phone: Annotated[str | None, rule(clean_name, "số điện thoại (phone)", required=False)] = None
    email: Annotated[str | None, rule(clean_name, "thư điện tử (email)", required=False)] = None
    #: weekly or none; None follows the unit's groups (`wants_digest`)
    digest: Annotated[Digest | None, BeforeValidator(clean_digest)] = None


class Profile(NamedTuple):
    """What audiences are resolved from: a unit's kind, groups, supervisor and digest."""

    kind: UnitKind
    groups: tuple[str, ...]
    supervisor: str | None
    digest: Digest | None

    @classmethod
    def of(cls, unit: Unit) -> Profile:
        return cls(unit.kind, unit.groups, unit.supervisor, unit.digest)


class UnitTable(Mapping[str, Unit]):
    """Units by code that are not all held as `Unit`s: each is built when asked for.

    A registry of 100,000 units held as pydantic models takes ~93 MB; an action run
    needs each unit only while its notice is rendered and sent. A table answers
    `profile` (what audiences are resolved from) without building the unit.
    """

    @abstractmethod
    def profile(self, code: str) -> Profile:
        """The profile of the unit `code` (an upper-case key); KeyError if there is none."""

    @abstractmethod
    def profiles(self) -> Iterator[tuple[str, Profile]]:
        """(code, profile) of every unit, in registry order."""


@dataclass(kw_only=True)
class Registry:
    """A validated registry; codes are upper case and lookups ignore case.

    `units` is a dict once validated; a registry loaded from its compiled cache holds a
    `UnitTable` instead, which builds a unit when it is asked for. Code that walks every
    unit for its codes, kind or groups asks for those (`codes`, `member_codes`,
    `codes_of_kind`, `profile`), which build no unit.

    Equality compares contents (name, units, groups), not where they came from.
    """

    units: Mapping[str, Unit]
    groups: dict[str, Group] = field(default_factory=dict)
    name: str | None = None
    source: str = field(default="<dict>", compare=False)
    warnings: list[Problem] = field(default_factory=list, compare=False, repr=False)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code_key(code) in self.units

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self) -> Iterator[Unit]:
        return iter(self.units.values())

    def unit(self, code: str) -> Unit:
        """The unit with `code`; KeyError if there is none."""
        return self.units[code_key(code)]

    def codes(self) -> Iterator[str]:
        """Every unit's code, in registry order."""
        return iter(self.units)

    def profile(self, code: str) -> Profile:
        """The unit's kind, groups, supervisor and digest; KeyError if there is none."""
        key = code_key(code)
        if isinstance(self.units, UnitTable):
            return self.units.profile(key)
        return Profile.of(self.units[key])

    def _profiles(self) -> Iterator[tuple[str, Profile]]:
        if isinstance(self.units, UnitTable):
            return self.units.profiles()
        return ((code, Profile.of(unit)) for code, unit in self.units.items())

    def group(self, code: str) -> Group:
        """The group with `code`; KeyError if there is none."""
        return self.groups[code_key(code)]

    def member_codes(self, group_code: str) -> list[str]:
        """Codes of the group's units, in registry order; KeyError for an unknown group."""
        code = self.group(group_code).code
        return [unit for unit, profile in self._profiles() if code in profile.groups]

    def members(self, group_code: str) -> list[Unit]:
        """Units of the group, in registry order; KeyError for an unknown group."""
        return [self.units[code] for code in self.member_codes(group_code)]

    def codes_of_kind(self, *kinds: UnitKind | str) -> list[str]:
        """Codes of the units of any of `kinds` (codes or Vietnamese labels), in registry order."""
        wanted = {UnitKind.parse(kind) for kind in kinds}
        return [unit for unit, profile in self._profiles() if profile.kind in wanted]

    def of_kind(self, *kinds: UnitKind | str) -> list[Unit]:
        """Units of any of `kinds` (codes or Vietnamese labels), in registry order."""
        return [self.units[code] for code in self.codes_of_kind(*kinds)]

    def supervisor(self, code: str) -> Unit | None:
        """The unit `code` reports to, or None."""
        sup = self.profile(code).supervisor
        return self.units[sup] if sup else None

    def group_heads(self, code: str) -> list[Unit]:
        """Heads of the groups the unit belongs to, without the unit itself."""
        key = code_key(code)
        heads: dict[str, Unit] = {}
        for group_code in self.profile(key).groups:
            head = self.groups[group_code].head
            if head and head != key:
                heads.setdefault(head, self.units[head])
        return list(heads.values())


def wants_digest(registry: Registry, unit_code: str) -> bool:
    """Whether the unit takes the weekly digest instead of separate reminders.

    The unit's own `digest` wins; without one, any of its groups asking for the weekly
    digest decides. An unknown unit takes none (it is notified as before).
    """
    if unit_code not in registry:
        return False
    unit = registry.profile(unit_code)
    if unit.digest is not None:
        return unit.digest == Digest.WEEKLY
    return any(
        registry.groups[g].digest == Digest.WEEKLY for g in unit.groups if g in registry.groups
    )
