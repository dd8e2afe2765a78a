"""Contact URLs of units: ``${ENV_VAR}`` placeholders, privacy-safe display, parse checks.

Registries hold Apprise URL *templates*: secrets appear only as ``${VAR}``
placeholders that `expand` fills from the environment at send time. Checking that
Apprise understands a URL means importing Apprise and its plugins (~0.4 s), so
`check_contacts` remembers URLs that passed in a small JSON cache and, when every
URL is cached, never imports Apprise: `thidua validate` stays lean.
``outbox://<mailbox>`` is the project's own local channel and is checked here.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote

from thidua.errors import ThiduaError
from thidua.errors import quote as quote_value
from thidua.registry.channel_rules import REFUSALS, refused_feature
from thidua.store.cache import cache_dir, read_json, write_json
from thidua.text.names import char_code, describe, escaped, unsafe_char

OUTBOX_SCHEME = "outbox"
MASK = "****"
CACHE_FILE = "contacts-check.json"

#: ``${VAR}`` takes an environment variable, ``${secret:block-name}`` a Prefect Secret block.
_PLACEHOLDER = re.compile(r"\$\{(secret:[a-z0-9][a-z0-9-]*|[A-Za-z_][A-Za-z0-9_]*)\}")
SECRET_PREFIX = "secret:"
_MAILBOX = re.compile(r"[a-z0-9][a-z0-9._-]*")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://(.*)", re.DOTALL)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: query keys whose value is a credential in Apprise URLs
SECRET_KEYS = _words(
    "pass password passwd pwd token apikey api_key key secret access_token accesstoken apitoken"
)
#: endings of header-like keys (“+X-Api-Key”, “-auth_token”) that carry a credential
_SECRET_SUFFIXES = ("token", "secret", "password", "apikey", "api_key")
_EMAIL_KEYS = frozenset({"to", "from", "cc", "bcc", "reply", "email"})

#: Apprise's generic webhook plugins forward to the server only query arguments
#: prefixed "-" (GET parameters); "+" makes an HTTP header and ":" a payload field.
#: Any other key must be an option the plugin reads, or Apprise drops it silently.
WEBHOOK_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms"})
#: Plain query keys these plugins read (Apprise 1.x: URLBase, NotifyBase and the
#: plugins' own arguments); tests/test_contacts.py checks it against Apprise itself.
WEBHOOK_OPTIONS = _words(
    "format overflow emojis tz store retry wait optional verify redirect user pass password rto cto"
    " port method attach-as"
)
_PREFIXES = "-+:"

#: harmless stand-ins tried, in turn, for every placeholder when no per-name guess works
_DUMMIES = (
    "dummy",
    "example.com",
    "123456789",
    "dummy@example.com",
    "123456789:AAdummyToken0123456789",
    # a variable may hold several path segments, e.g. a webhook's "ID/TOKEN"
    "123456789/dummy",
    "dummy/dummy/dummy",
)

#: Bump when a check is added that a cached "passed" must go through again (2: PGP refused).
CONTACT_RULES = 2
_CACHE_VERSION = CONTACT_RULES


# --- placeholders --------------------------------------------------------------


def env_vars(url: str) -> list[str]:
    """Names of the ``${VAR}`` placeholders in `url`, in order, without repeats."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(url)))


def secret_blocks(url: str) -> list[str]:
    """Names of the Prefect Secret blocks (``${secret:name}``) that `url` uses."""
    return [n.removeprefix(SECRET_PREFIX) for n in env_vars(url) if n.startswith(SECRET_PREFIX)]


def missing_env(url: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """Environment placeholders of `url` that `environ` (default: os.environ) does not set."""
    env = os.environ if environ is None else environ
    return [n for n in env_vars(url) if not n.startswith(SECRET_PREFIX) and n not in env]


def expand(
    url: str,
    environ: Mapping[str, str] | None = None,
    *,
    secrets: Callable[[str], str] | None = None,
) -> str:
    """Fill the placeholders of `url`: ``${VAR}`` from `environ` (default: os.environ),
    ``${secret:name}`` from `secrets(name)` (the caller reads Prefect Secret blocks).

    Values are raw text: in the userinfo and query parts they are percent-encoded
    here, because SMTP passwords often contain “@”, “/” or “&” that would otherwise
    change the meaning of the URL. Elsewhere (host, path) they are inserted as is,
    so a variable may hold several path segments such as a webhook's “ID/TOKEN”.
    """
    env = os.environ if environ is None else environ
    missing = missing_env(url, env)
    if missing:
        names = ", ".join(f"${{{name}}}" for name in missing)
        raise ThiduaError(
            f"địa chỉ liên hệ {display(url)} cần biến môi trường chưa được đặt: {names}"
        )
    if secret_blocks(url) and secrets is None:
        raise ThiduaError(f"địa chỉ liên hệ {display(url)} cần đọc Secret block của Prefect")

    def value_of(name: str) -> str:
        if name.startswith(SECRET_PREFIX):
            return secrets(name.removeprefix(SECRET_PREFIX))  # type: ignore[misc]
        return env[name]

    concrete = _substitute(url, value_of, encode=True)
    # Send-time defence: a variable's value (or a registry that skipped validation)
    # must not smuggle a header line in either.
    injected = header_injection(concrete)
    if injected:
        raise ThiduaError(f"địa chỉ liên hệ {display(url)}: {injected}")
    return concrete


def _substitute(url: str, value_of: Callable[[str], str], *, encode: bool) -> str:
    """Replace placeholders using `value_of(name)`, encoding by position when asked."""
    userinfo_end, query_start = _zones(url)

    def replace(match: re.Match[str]) -> str:
        value = value_of(match.group(1))
        if not encode:
            return value
        if match.start() < userinfo_end:
            return quote(value, safe="")
        if query_start is not None and match.start() > query_start:
            return quote(value, safe="/:@,")
        return value

    return _PLACEHOLDER.sub(replace, url)


def _zones(url: str) -> tuple[int, int | None]:
    """Offsets of the end of the userinfo part (0 when none) and of the “?” (or None)."""
    m = _SCHEME.match(url)
    if not m:
        return 0, None
    start = m.start(2)
    rest = m.group(2)
    authority_len = len(re.split(r"[/?#]", rest, maxsplit=1)[0])
    at = rest.rfind("@", 0, authority_len)
    userinfo_end = start + at if at >= 0 else 0
    q = url.find("?", start)
    return userinfo_end, (q if q >= 0 else None)


# --- secrets and display -------------------------------------------------------


def _is_placeholder(text: str) -> bool:
    return _PLACEHOLDER.fullmatch(text) is not None


def is_secret_key(key: str) -> bool:
    """Whether a query key names a credential, with Apprise's “-”/“+”/“:” prefix or not."""
    name = key.lstrip(_PREFIXES).lower().replace("-", "_")
    return name in SECRET_KEYS or name == "authorization" or name.endswith(_SECRET_SUFFIXES)


def _split(url: str) -> tuple[str, str, str, str, str] | None:
    """Split into (scheme, userinfo, hostpath, query, fragment); None when not a URL.

    Done by hand rather than with urlsplit so that placeholders and unusual
    characters in passwords never shift which part is considered the password.
    """
    m = _SCHEME.match(url.strip())
    if not m:
        return None
    scheme, rest = m.group(1), m.group(2)
    rest, _, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    authority_len = len(rest.split("/", 1)[0])
    at = rest.rfind("@", 0, authority_len)
    userinfo, hostpath = (rest[:at], rest[at + 1 :]) if at >= 0 else ("", rest)
    return scheme, userinfo, hostpath, query, fragment


def literal_secrets(url: str) -> list[str]:
    """Where `url` holds a literal secret (not a ``${VAR}``): Vietnamese descriptions."""
    parts = _split(url)
    if parts is None:
        return []
    _, userinfo, _, query, _ = parts
    found = []
    if ":" in userinfo:
        password = userinfo.split(":", 1)[1]
        if password and not _is_placeholder(password):
            found.append("mật khẩu trong địa chỉ")
    for key, value in _query_items(query):
        if is_secret_key(key) and value and not _is_placeholder(value):
            found.append(f"tham số “{key}”")
    return found


def _query_items(query: str) -> list[tuple[str, str]]:
    items = []
    for piece in query.split("&"):
        if piece:
            key, _, value = piece.partition("=")
            items.append((key, value))
    return items


def _mask(url: str) -> str:
    """Mask literal passwords and secret query values; placeholders stay visible."""
    parts = _split(url)
    if parts is None:
        # not a URL (a typo'd contact): still hide anything in a "user:password@" position
        return _mask(f"x://{url}")[len("x://") :] if url.strip() else url
    scheme, userinfo, hostpath, query, fragment = parts
    if ":" in userinfo:
        user, password = userinfo.split(":", 1)
        if password and not _is_placeholder(password):
            userinfo = f"{user}:{MASK}"
    shown_query = "&".join(
        f"{key}={MASK}"
        if is_secret_key(key) and value and not _is_placeholder(value)
        else (f"{key}={value}" if "=" in piece else key)
        for piece in query.split("&")
        if piece
        for key, value in [piece.partition("=")[::2]]
    )
    out = f"{scheme}://" + (f"{userinfo}@" if userinfo else "") + hostpath
    if shown_query:
        out += f"?{shown_query}"
    if fragment:
        out += f"#{fragment}"
    return out


def display(url: str) -> str:
    """A form of `url` safe for logs and messages: no secret is ever shown.

    Templates keep their ``${VAR}`` placeholders and get literal secrets masked.
    A concrete URL is shown as Apprise's privacy form (which also hides tokens in
    the path, e.g. Telegram's), keeping only the query keys the URL itself had;
    when Apprise is missing or cannot parse it, secrets are masked here.
    """
    parts = _split(url)
    if parts is None or parts[0].lower() == OUTBOX_SCHEME or env_vars(url) or unsafe_char(url):
        # a raw control character would end the log line or reorder the terminal
        return escaped(_mask(url))
    private = _apprise_privacy_url(url)
    return _mask(private) if private else _mask(url)


def _apprise_privacy_url(url: str) -> str | None:
    if importlib.util.find_spec("apprise") is None:
        return None
    with quiet_apprise():
        import apprise

        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            return None
        try:
            private = str(plugin.url(privacy=True))
        except Exception:  # a plugin bug must not turn a log line into a crash
            return None
    # Apprise spells out every default (retry=0&wait=0.5…); keep what the admin wrote.
    parts = _split(url)
    wanted = {key.lower() for key, _ in _query_items(parts[3] if parts else "")}
    base, _, query = private.partition("?")
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() in wanted]
    if not kept:
        return base
    return base + "?" + "&".join(f"{k}={quote(v, safe='@,:/')}" for k, v in kept)


#: how many `quiet_apprise` blocks are open, and the logger's state before the first
_quiet_lock = threading.Lock()
_quiet_depth = 0
_quiet_before = False


@contextlib.contextmanager
def quiet_apprise() -> Iterator[None]:
    """Silence Apprise's logger: its parse warnings may quote a URL with a secret.

    Deliveries run in threads, so blocks overlap without nesting: a plain
    save-and-restore would let the first block to end re-enable the logger while
    another thread is still sending (whose debug lines quote the full URL). The
    logger is restored only when the last open block ends.
    """
    import logging  # only when Apprise is in play; plain CLI runs skip the import

    global _quiet_depth, _quiet_before
    logger = logging.getLogger("apprise")
    with _quiet_lock:
        if _quiet_depth == 0:
            _quiet_before = logger.disabled
            logger.disabled = True
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                logger.disabled = _quiet_before


# --- checks --------------------------------------------------------------------


def dropped_params(url: str) -> str | None:
    """The error for query keys that a json://, xml:// or form:// URL would silently lose.

    `json://host/hook?token=${X}` looks right but Apprise sends no `token`: only
    “-token=” reaches the server. Checked on the text alone, so no Apprise import.
    """
    parts = _split(url)
    if parts is None or parts[0].lower() not in WEBHOOK_SCHEMES:
        return None
    scheme = parts[0].lower()
    lost = [
        key
        for key, _ in _query_items(parts[3])
        if key and key[0] not in _PREFIXES and key.lower() not in WEBHOOK_OPTIONS
    ]
    if not lost:
        return None
    lost = list(dict.fromkeys(lost))
    names = ", ".join(f"“{key}”" for key in lost)
    fixes = ", ".join(f"“-{key}=…”" for key in lost)
    secret = any(is_secret_key(key) for key in lost)
    return (
        f"Apprise sẽ bỏ qua tham số {names}{' (bí mật sẽ không được gửi đi)' if secret else ''}: "
        f"lược đồ “{scheme}://” chỉ chuyển tiếp tham số có tiền tố “-” "
        f"(“+” là tiêu đề HTTP, “:” là trường thêm vào nội dung); hãy viết {fixes}"
    )


#: Apprise decodes some fields twice (NotifyEmail unquotes “from” after parse_qsd did):
#: “%250d” must be seen as the CR it becomes.
_DECODE_ROUNDS = 4


def _fields(url: str) -> list[tuple[str, str]]:
    """(Vietnamese field name, raw text) for every part of `url` that Apprise reads."""
    parts = _split(url)
    if parts is None:
        return [("địa chỉ", url)]
    scheme, userinfo, hostpath, query, fragment = parts
    user, _, password = userinfo.partition(":")
    host, *path = hostpath.split("/")
    fields = [("lược đồ", scheme), ("tên người dùng (user)", user), ("mật khẩu", password)]
    fields += [("máy chủ", host)]
    fields += [(f"phần đường dẫn thứ {i} (người nhận)", p) for i, p in enumerate(path, 1)]
    for key, value in _query_items(query):
        fields += [("tên tham số", key), (f"tham số “{escaped(key)}”", value)]
    return [*fields, ("phần sau “#”", fragment)]


def header_injection(url: str) -> str | None:
    """The error for a URL part that decodes to a control or invisible character.

    Apprise percent-decodes query values and userinfo (some twice) and puts them in
    message headers: `to=a@x%0d%0aBcc:b@y` would add a hidden Bcc, `from=…%0d%0a…`
    a header of the sender's choosing. No address, name or option needs such a
    character, so any part holding one, at any decoding depth, is refused. A
    secret's value is never shown, only the field and the character's code.
    """
    for label, raw in _fields(url):
        text = raw
        for _ in range(_DECODE_ROUNDS):
            bad = unsafe_char(text)
            if bad is not None:
                return (
                    f"{label} chứa {describe(bad)} {char_code(bad)} (sau khi giải mã “%..”); "
                    "ký tự này có thể chèn thêm dòng tiêu đề thư (ví dụ Bcc), đổi người gửi "
                    "hoặc che địa chỉ thật; hãy xóa nó khỏi địa chỉ"
                )
            decoded = unquote(text)
            if decoded == text:
                break
            text = decoded
    return None


def check_local(url: str) -> str | None:
    """Checks that need no Apprise: URL shape, placeholder syntax, outbox mailbox."""
    if not isinstance(url, str) or not url.strip():
        return "cần một địa chỉ Apprise dạng lược-đồ://…, ví dụ “mailtos://…” hoặc “outbox://…”"
    if url != url.strip() or any(c.isspace() for c in url):
        return "địa chỉ không được chứa khoảng trắng"
    m = _SCHEME.match(url)
    if not m:
        return "cần một địa chỉ Apprise dạng lược-đồ://…, ví dụ “mailtos://…” hoặc “outbox://…”"
    injected = header_injection(url)
    if injected:
        return injected
    if "${" in _PLACEHOLDER.sub("", url) or "$" in _PLACEHOLDER.sub("", url):
        return (
            "biến môi trường phải viết dạng ${TEN_BIEN} (chữ không dấu, số, “_”); "
            "Secret block của Prefect: ${secret:ten-block}"
        )
    if m.group(1).lower() == OUTBOX_SCHEME:
        if m.group(1) != OUTBOX_SCHEME:
            return "lược đồ phải viết thường: “outbox://”"
        if not _MAILBOX.fullmatch(m.group(2)):
            return (
                "hộp thư outbox phải gồm chữ thường không dấu, số, “.”, “_”, “-”, "
                "ví dụ “outbox://sngv”"
            )
    return None


def apprise_version() -> str | None:
    """The installed Apprise version, read without importing Apprise; None if absent."""
    try:
        spec = importlib.util.find_spec("apprise")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.origin:
        try:
            text = Path(spec.origin).read_text(encoding="utf-8")
        except OSError:
            text = ""
        m = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
        if m:
            return m.group(1)
    try:
        from importlib.metadata import version

        return version("apprise")
    except Exception:
        return "unknown"


def _cache_key(url: str, version: str) -> str:
    return hashlib.sha256(f"{version}\n{url}".encode()).hexdigest()


def _default_cache_dir() -> Path:
    return cache_dir()


def _read_cache(path: Path, version: str) -> set[str]:
    data = read_json(path)
    if (
        not isinstance(data, dict)
        or data.get("format") != _CACHE_VERSION
        or data.get("apprise") != version
        or not isinstance(data.get("ok"), list)
    ):
        return set()
    return {key for key in data["ok"] if isinstance(key, str)}


def _write_cache(path: Path, version: str, keys: set[str]) -> None:
    """Best effort: a read-only data dir only costs the next run an Apprise import."""
    write_json(path, {"format": _CACHE_VERSION, "apprise": version, "ok": sorted(keys)})


def check_contacts(urls: Iterable[str], *, cache_dir: Path | None = None) -> dict[str, str | None]:
    """Map each URL template to a Vietnamese error, or None when it can be used.

    Placeholders are replaced with harmless dummies before Apprise parses the URL,
    so no environment variable needs to be set to validate a registry.
    """
    results: dict[str, str | None] = {}
    pending: list[str] = []
    for url in dict.fromkeys(urls):
        error = check_local(url) or dropped_params(url)
        results[url] = error
        if error is None and url.split("://", 1)[0].lower() != OUTBOX_SCHEME:
            pending.append(url)
    if not pending:
        return results

    version = apprise_version()
    if version is None:
        for url in pending:
            results[url] = "chưa cài Apprise nên không kiểm tra được địa chỉ này"
        return results
    cache_path = (cache_dir if cache_dir is not None else _default_cache_dir()) / CACHE_FILE
    known = _read_cache(cache_path, version)
    unknown = [url for url in pending if _cache_key(url, version) not in known]
    if not unknown:
        return results

    passed: set[str] = set()
    for url in unknown:
        error = _apprise_check(url)
        results[url] = error
        if error is None:
            passed.add(_cache_key(url, version))
    if passed:
        _write_cache(cache_path, version, known | passed)
    return results


def _guesses(url: str) -> dict[str, str]:
    """A plausible stand-in for each placeholder from its name, then its position."""
    userinfo_end, query_start = _zones(url)
    parts = _split(url)
    host_start = userinfo_end + 1 if userinfo_end else (url.find("://") + 3)
    host_end = host_start + len(re.split(r"[/?#]", url[host_start:], maxsplit=1)[0])
    guesses: dict[str, str] = {}
    for m in _PLACEHOLDER.finditer(url):
        name = m.group(1)
        if name in guesses:
            continue
        upper = name.upper()
        before = url[: m.start()]
        query_key = re.search(r"[?&]([^=&]+)=$", before)
        if "TOKEN" in upper or "KEY" in upper:
            guess = "123456789:AAdummyToken0123456789"
        elif "PORT" in upper:
            guess = "587"
        elif (query_key and query_key.group(1).lower() in _EMAIL_KEYS) or (
            "MAIL" in upper and "HOST" not in upper and "SERVER" not in upper
        ):
            guess = "dummy@example.com"
        elif "HOST" in upper or "SERVER" in upper or "DOMAIN" in upper:
            guess = "example.com"
        elif upper.endswith("ID") or "CHAT" in upper or "PHONE" in upper:
            guess = "123456789"
        elif m.start() < userinfo_end or (query_start is not None and m.start() > query_start):
            guess = "dummy"
        elif parts is not None and host_start <= m.start() < host_end:
            guess = "example.com"
        else:
            guess = "dummy"
        guesses[name] = guess
    return guesses


def _apprise_check(url: str) -> str | None:
    import apprise

    names = env_vars(url)
    attempts = [_guesses(url)] + [dict.fromkeys(names, dummy) for dummy in _DUMMIES]
    if not names:
        attempts = attempts[:1]
    with quiet_apprise():
        for values in attempts:
            concrete = _substitute(url, values.__getitem__, encode=False)
            try:
                plugin = apprise.Apprise.instantiate(concrete, suppress_exceptions=False)
                if plugin is not None:
                    return refused_feature(plugin)
            except Exception as exc:  # Apprise plugins may raise on odd input; that is a "no"
                if str(exc) in REFUSALS:  # the product's own channel refused it, safe to show
                    return str(exc)
                continue
        scheme = url.split("://", 1)[0].lower()
        schemes = {s.lower() for s in _apprise_schemes(apprise)}
    if schemes and scheme not in schemes:
        return (
            f"Apprise không hỗ trợ lược đồ {quote_value(scheme + '://')}; "
            "xem danh sách tại https://github.com/caronc/apprise/wiki"
        )
    return (
        f"Apprise không hiểu địa chỉ này; kiểm tra các phần bắt buộc của lược đồ "
        f"{quote_value(scheme + '://')} (máy chủ, người nhận, mã truy cập)"
    )


def _apprise_schemes(apprise: object) -> list[str]:
    try:
        from apprise.manager_plugins import NotificationManager

        return list(NotificationManager().schemas())
    except Exception:  # only used to word the message better
        return []
