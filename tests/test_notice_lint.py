"""The wording of every notice of every shipped campaign, and of adversarial ones.

`thidua.notifications.lint` finds doubled words (“năm năm”, “phát động Phát động”), proper
nouns lower-cased after “đề nghị”, internal keys, and subjects that do not decode to
what was rendered. Run here over each action of `compile_plan` for each recipient,
and the organizer's failure alerts; then over campaigns written to trip the templates.
"""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from thidua.notifications import lint
from thidua.notifications.render import PORTAL_LABEL, Message
from thidua.notifications.send import SMTPPool, send

from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.campaign.plan import ActionKind, compile_plan
from thidua.config import get_settings

from .conftest import CAMPAIGNS
from .notice_corpus import names, notices
from .smtp_peer import Inbox

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

SHIPPED = sorted(CAMPAIGNS.glob("*.py"))


def _problems(loaded: LoadedCampaign) -> tuple[list[str], int]:
    known = names(loaded)
    problems, count = [], 0
    for item in notices(loaded):
        count += 1
        keys = [item.action.key] if item.action else []
        for part, text in (("text", item.message.text), ("subject", item.message.subject)):
            problems += [
                f"{item.where} [{part}]: {p}" for p in lint.lint_text(text, names=known, keys=keys)
            ]
        if item.link is not None:
            problems += [
                f"{item.where} [link]: {p}"
                for p in lint.portal_link(item.message.text, item.link, label=PORTAL_LABEL)
            ]
    return problems, count


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_notice_of_every_shipped_campaign_reads_right(path: Path) -> None:
    problems, count = _problems(load_campaign(path))
    assert count > 0
    assert not problems, "\n".join(problems[:30])


# --- the checks themselves find what they are for ----------------------------------------


def test_the_linter_finds_each_kind_of_mistake() -> None:
    assert lint.doubled_phrases("phát động Phát động thi đua") == ["phát động Phát động"]
    assert lint.doubled_phrases("đợt thi đua năm năm 2026") == ["năm năm"]
    assert lint.doubled_phrases("của BTV Tỉnh ủy BTV Tỉnh ủy phát động") == [
        "BTV Tỉnh ủy BTV Tỉnh ủy"
    ]
    assert lint.doubled_phrases("“Báo cáo hằng năm” (kỳ năm 2027), 11/6 - 11/6") == []
    assert lint.lowercased_names("đề nghị sở Nội vụ tổng hợp", ["Sở Nội vụ"]) != []
    assert lint.lowercased_names("Đề nghị ủy ban nhân dân xã Một báo cáo") != []
    assert lint.lowercased_names("đề nghị trung tâm A báo cáo", ["Trung tâm A"]) != []
    assert lint.lowercased_names("đề nghị Sở Nội vụ tổng hợp; đề nghị báo cáo", ["Sở Nội vụ"]) == []
    assert lint.internal_keys("mã hoạt động: launch/-/launch.") == ["launch/-/launch"]
    assert sorted(lint.internal_keys("hàng due#loi và bao-cao/2027-Q4/reminder/3wd")) == [
        "bao-cao/2027-Q4/reminder",
        "due#loi",
    ]
    assert lint.internal_keys("Hạn cuối ngày 20/3/2026, quý I/2026") == []
    link = "https://cong.example/u/abc"
    once = f"Kính gửi: Sở A\n\n{PORTAL_LABEL}: {link}\n--\nx"
    assert lint.portal_link(once, link, label=PORTAL_LABEL) == []
    assert lint.portal_link("Kính gửi: Sở A\n--\nx", link, label=PORTAL_LABEL) != []
    twice = once.replace("--", f"Trang: {link}\n--")
    assert lint.portal_link(twice, link, label=PORTAL_LABEL) != []


def test_the_linter_finds_the_old_templates_mistakes() -> None:
    """What the templates wrote before: each sentence is caught."""
    seen = [
        "Ủy ban nhân dân tỉnh Cao Bằng phát động Phát động phong trào thi đua năm 2027.",
        "Thực hiện Kế hoạch số 1/KH của BTV Tỉnh ủy, BTV Tỉnh ủy phát động thi đua.",
        "đề nghị Sở Nội vụ sở Nội vụ tổng hợp kết quả",
        "đề nghị Xã A gửi báo cáo kết quả thi đua hằng năm năm 2026",
    ]
    for text in seen:
        assert lint.lint_text(text, names=["Sở Nội vụ"]), text
    across = "Thực hiện Kế hoạch số 1/KH của Ban A,\nBan A xin thông báo lịch hội nghị."
    assert lint.doubled_phrases(across) == ["Ban A, Ban A"]


# --- adversarial campaigns --------------------------------------------------------------

ADVERSARIAL_REGISTRY = """\
name: Tỉnh thử nghiệm
groups:
  - {code: KHOI-A, name: Khối các sở, kind: khoi, head: SNV}
  - {code: CUM-X, name: Cụm thi đua các xã, kind: cum, head: XA-NAM}
units:
  - {code: BTV, name: Ban Thường vụ Tỉnh ủy, kind: co_quan_tinh, contacts: ["outbox://btv"]}
  - {code: SNV, name: Sở Nội vụ, kind: so_nganh, groups: [KHOI-A], supervisor: BTV,
     headcount: 40, contacts: ["outbox://snv"]}
  - {code: BTDKT, name: Ban Thi đua - Khen thưởng (Sở Nội vụ), kind: phong, supervisor: SNV,
     phone: "0206 3852 000", email: btdkt@example.vn, contacts: ["outbox://btdkt"]}
  - {code: SYT, name: Sở Y tế, kind: so_nganh, groups: [KHOI-A], supervisor: BTV,
     headcount: 30, contacts: ["outbox://syt"]}
  - {code: XA-NAM, name: Ủy ban nhân dân xã Năm, kind: xa, groups: [CUM-X], supervisor: SNV,
     headcount: 10, contacts: ["outbox://xa-nam"]}
  - {code: XA-MOT, name: UBND xã Một, kind: xa, groups: [CUM-X], supervisor: SNV,
     headcount: 12, contacts: ["outbox://xa-mot"]}
"""

#: Titles that tripped the old templates: a verb the sentence also says, the issuer, a
#: trailing “năm” before an occurrence label, a proper noun first, quotes inside.
ADVERSARIAL_CAMPAIGN = """\
from thidua import *

campaign = Campaign(
    code="{code}",
    title="{title}",
    issuer="{issuer}",
    issued="ngày 05/01/2026",
    period="giai đoạn 2026 - 2028",
    organizer="BTDKT",
    contact="{contact}",
    registry="units.yaml",
    participants=Participants(groups=["KHOI-A", "CUM-X"]),
    milestones=[
        Milestone(kind="phát động", when="ngày 05/01/2026"),
        Milestone(kind="báo cáo", id="hang-nam", title="Báo cáo kết quả thi đua hằng năm",
                  when="trước ngày 15/12", recurrence=Recurrence(every="hằng năm"),
                  reminders=[10, 3], escalation=Escalation(after="3 ngày làm việc", to="supervisor")),
        Milestone(kind="báo cáo", id="tong-hop", title="Sở Nội vụ tổng hợp kết quả năm",
                  when="chậm nhất ngày 20/3/2026", reminders=[5]),
        Milestone(kind="báo cáo", id="quy", title="Ủy ban nhân dân các xã báo cáo số liệu quý",
                  when="ngày 20 tháng cuối quý", recurrence=Recurrence(every="hằng quý"),
                  reminders=[3]),
        Milestone(kind="hồ sơ khen thưởng", title="Phát động Phát động nộp hồ sơ năm",
                  opens="ngày 03/6/2026", when="ngày 05/6/2026", late="refuse",
                  reminders=[7], escalation=Escalation(after="1 ngày làm việc", to="group_head")),
        Milestone(kind="custom", id="hoi-nghi", title="Hội nghị “Điển hình tiên tiến” năm",
                  when="ngày 15/9/2027", reminders=[5]),
        Milestone(kind="sơ kết", title="Sơ kết giữa nhiệm kỳ năm", when="quý IV/2027",
                  reminders=[15]),
        Milestone(kind="tổng kết", when="quý IV/2028", reminders=[15]),
    ],
)
"""

BTV = "Ban Thường vụ Tỉnh ủy"
#: (title, issuer); the last issuer is the organizer itself, named again by the sentences.
ADVERSARIAL_TITLES = [
    ("Phát động phong trào thi đua năm", BTV),
    ("Phát động Phát động thi đua của Ban Thường vụ Tỉnh ủy năm", BTV),
    ("Ban Thường vụ Tỉnh ủy phát động thi đua “Dân vận khéo” năm", BTV),
    ("thực hiện Kế hoạch của Ban Thường vụ Tỉnh ủy", BTV),
    ("Phát động thi đua năm", "Ban Thi đua - Khen thưởng (Sở Nội vụ)"),
]


@pytest.fixture
def adversarial(campaign_dir: Path) -> Callable[..., LoadedCampaign]:
    (campaign_dir / "units.yaml").write_text(ADVERSARIAL_REGISTRY, encoding="utf-8")

    def write(
        title: str, issuer: str = BTV, contact: str = "Ban Thi đua - Khen thưởng"
    ) -> LoadedCampaign:
        path = campaign_dir / "adversarial.py"
        text = ADVERSARIAL_CAMPAIGN.replace("{code}", "99/KH-BTVTU").replace("{title}", title)
        text = text.replace("{issuer}", issuer).replace("{contact}", contact)
        path.write_text(text, encoding="utf-8")
        return load_campaign(path)

    return write


@pytest.mark.parametrize(("title", "issuer"), ADVERSARIAL_TITLES)
def test_adversarial_titles_read_right(
    title: str, issuer: str, adversarial: Callable[..., LoadedCampaign]
) -> None:
    loaded = adversarial(title, issuer)
    kinds = {a.kind for a in compile_plan(loaded.spec, loaded.registry).actions}
    assert kinds == set(ActionKind), kinds  # every kind of notice is linted
    known = [n for n in names(loaded) if n != title and "Phát động Phát động" not in n]
    problems = []
    for item in notices(loaded):
        for text in (item.message.text, item.message.subject):
            # The admin's own doubled title is quoted as written; only our sentences count.
            text = text.replace(lint_title(title), "“…”").replace(title, "…")
            text = text.replace("Phát động Phát động nộp hồ sơ năm", "…")
            problems += [f"{item.where}: {p}" for p in lint.lint_text(text, names=known)]
    assert not problems, "\n".join(problems[:30])


def lint_title(title: str) -> str:
    return "“" + title.replace("“", "‘").replace("”", "’") + "”"


def test_titles_are_quoted_as_written_and_the_issuer_named_once(
    adversarial: Callable[..., LoadedCampaign],
) -> None:
    loaded = adversarial("Phát động phong trào thi đua năm")
    launch = next(
        item.message.text
        for item in notices(loaded)
        if item.action and item.action.kind is ActionKind.LAUNCH and "→" in item.where
    )
    assert launch.count("Ban Thường vụ Tỉnh ủy") == 1
    assert "“Phát động phong trào thi đua năm”" in launch
    assert "- Báo cáo kết quả thi đua hằng năm (kỳ năm 2026): hạn" in launch
    everything = "\n".join(item.message.text for item in notices(loaded))
    assert "nội dung “Sở Nội vụ tổng hợp kết quả năm”" in everything
    assert "“Báo cáo kết quả thi đua hằng năm” (kỳ năm 2026)" in everything
    assert "“Hội nghị ‘Điển hình tiên tiến’ năm” (kỳ" not in everything  # a one-off
    assert ",\n“Hội nghị ‘Điển hình tiên tiến’ năm” sẽ diễn ra vào ngày 15 tháng 9" in everything


# --- subjects survive the trip through real message bytes ---------------------------------


def _subjects() -> dict[str, Message]:
    found: dict[str, Message] = {}
    for path in SHIPPED:
        for item in notices(load_campaign(path), every_recipient=False):
            found.setdefault(item.message.subject, item.message)
    return found


def test_every_subject_decodes_exactly_from_the_outbox_eml() -> None:
    """Through `send` → Apprise → the outbox plugin → the .eml file an admin opens."""
    subjects = _subjects()
    assert len(subjects) > 100
    for subject, message in subjects.items():
        plain = Message(subject=subject, text=message.text, html=message.html)
        result = send("outbox://kiem-tra", plain)
        assert result.ok, result.error
    files = sorted((get_settings().outbox_dir / "kiem-tra").glob("*.eml"))
    assert len(files) == len(subjects)
    got = {}
    for eml in files:
        raw = eml.read_bytes()
        subject = str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"])
        got[subject] = raw
    problems = [
        p for subject in subjects for p in lint.subject_roundtrip(got.get(subject, b""), subject)
    ]
    assert not problems, "\n".join(problems[:10])


def test_every_subject_decodes_exactly_from_a_real_smtp_server(
    smtp_server: tuple[int, Inbox, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through `send` → Apprise's e-mail plugin → an SMTP server, as a unit receives it."""
    port, inbox, _ = smtp_server
    monkeypatch.setenv("SMTP_USER", "btdkt")
    monkeypatch.setenv("SMTP_PASSWORD", "m@t/kh&u")
    url = (
        f"mailto://${{SMTP_USER}}:${{SMTP_PASSWORD}}@127.0.0.1:{port}"
        "?to=xa-mot@example.vn&from=btdkt@example.vn&mode=insecure"
    )
    subjects = list(_subjects())
    with SMTPPool() as pool:
        for subject in subjects:
            result = send(url, Message(subject=subject, text="Kính gửi…\n"), pool=pool)
            assert result.ok, result.error
    deadline = time.monotonic() + 10
    while len(inbox.messages) < len(subjects) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(inbox.messages) == len(subjects)
    problems = [
        p
        for subject, (_, raw) in zip(subjects, inbox.messages, strict=True)
        for p in lint.subject_roundtrip(raw, subject)
    ]
    assert not problems, "\n".join(problems[:10])


def test_any_subject_folds_without_losing_a_space() -> None:
    """Subjects of any length and wording, through the outbox's header, decode exactly."""
    import random
    from email.message import EmailMessage

    from thidua.notifications.mime import EncodedSubject

    text = (
        "[75NAM-TDAQ/KH-UBND] Quá hạn: Nộp hồ sơ đề nghị Bằng khen (trực tuyến mức độ 4) "
        "“Sở Nội vụ” tổng hợp kết quả năm (kỳ quý I/2026, hạn 20/03/2026) a b x-y 12/KH-TEST "
        "Phong trào thi đua “Cán bộ, công chức” giai đoạn 2026 - 2030 Ủy ban nhân dân"
    )
    words = text.split()
    rng = random.Random(20261205)
    problems = []
    for _ in range(2000):
        subject = " ".join(rng.choice(words) for _ in range(rng.randint(1, 40)))
        msg = EmailMessage()
        msg["Subject"] = EncodedSubject(subject)
        msg.set_content("x")
        problems += lint.subject_roundtrip(msg.as_bytes(), subject)
    assert not problems, "\n".join(problems[:5])
