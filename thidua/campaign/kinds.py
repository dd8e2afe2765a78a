"""The fixed vocabularies of a campaign file: kinds of campaign, milestone and nominee,
what a milestone requires, and where a deadline on a holiday ends. Each value has its
Vietnamese label, and Vietnamese words an admin may write for it are accepted as input.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator

from thidua.text.fold import fold_words


class LabelledEnum(StrEnum):
    """A StrEnum with a Vietnamese label and Vietnamese aliases accepted as input."""

    @property
    def label(self) -> str:
        return _LABELS[type(self).__name__][self.value]

    @classmethod
    def parse(cls, value: Any) -> Any:
        if isinstance(value, cls) or not isinstance(value, str):
            return value
        key = fold_words(value, "_")
        for member in cls:
            if key in (member.value, fold_words(member.label, "_")) or key in _ALIASES.get(
                (cls.__name__, member.value), ()
            ):
                return member
        allowed = ", ".join(f"“{m.value}” ({m.label})" for m in cls)
        raise ValueError(f"giá trị không hợp lệ; dùng một trong: {allowed}")

    @classmethod
    def field(cls) -> Any:
        return Annotated[cls, BeforeValidator(cls.parse)]


class CampaignKind(LabelledEnum):
    REGULAR = "thuong_xuyen"
    BATCH = "theo_dot"
    THEMATIC = "chuyen_de"


class NomineeKind(LabelledEnum):
    COLLECTIVE = "tap_the"
    INDIVIDUAL = "ca_nhan"
    HOUSEHOLD = "ho_gia_dinh"


class MilestoneKind(LabelledEnum):
    LAUNCH = "launch"
    IMPLEMENTING_PLAN = "implementing_plan"
    REPORT = "report"
    NOMINATION = "nomination"
    REVIEW = "review"
    SUMMARY = "summary"
    CUSTOM = "custom"
    REGISTRATION = "registration"  # đăng ký thi đua: see thidua.ledger.registration


class Requirement(LabelledEnum):
    """What the audience of a milestone must submit."""

    NONE = "none"
    IMPLEMENTING_PLAN = "implementing_plan"
    REPORT = "report"
    TARGET_FIGURES = "target_figures"
    NOMINATION_DOSSIER = "nomination_dossier"
    REGISTRATION = "registration"


class DeadlineRule(LabelledEnum):
    """Where a deadline whose last day is a weekend or public holiday really ends.

    The default follows Bộ luật Dân sự 2015, Điều 148 (khoản 5): the period ends at the
    end of the next working day. A plan may say otherwise: end on the working day before,
    or exactly on the day written.
    """

    NEXT_WORKING_DAY = "next_working_day"
    PREVIOUS_WORKING_DAY = "previous_working_day"
    AS_WRITTEN = "as_written"


_LABELS: dict[str, dict[str, str]] = {
    "CampaignKind": {
        "thuong_xuyen": "thường xuyên",
        "theo_dot": "theo đợt",
        "chuyen_de": "chuyên đề",
    },
    "NomineeKind": {"tap_the": "tập thể", "ca_nhan": "cá nhân", "ho_gia_dinh": "hộ gia đình"},
    "MilestoneKind": {
        "launch": "phát động",
        "implementing_plan": "nộp kế hoạch triển khai",
        "report": "nộp báo cáo",
        "nomination": "nộp hồ sơ đề nghị khen thưởng",
        "review": "sơ kết",
        "summary": "tổng kết",
        "custom": "mốc khác",
        "registration": "đăng ký thi đua",
    },
    "Requirement": {
        "none": "không phải nộp",
        "implementing_plan": "kế hoạch triển khai",
        "report": "báo cáo",
        "target_figures": "số liệu chỉ tiêu",
        "nomination_dossier": "hồ sơ đề nghị khen thưởng",
        "registration": "bản đăng ký thi đua",
    },
    "DeadlineRule": {
        "next_working_day": "ngày làm việc tiếp theo",
        "previous_working_day": "ngày làm việc liền trước",
        "as_written": "như văn bản",
    },
}

# Keyed by (enum name, value): members of different enums may share a value.
_ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("CampaignKind", CampaignKind.BATCH.value): ("dot", "dot_thi_dua"),
    ("MilestoneKind", MilestoneKind.LAUNCH.value): ("phat_dong",),
    ("MilestoneKind", MilestoneKind.IMPLEMENTING_PLAN.value): ("ke_hoach", "ke_hoach_trien_khai"),
    ("MilestoneKind", MilestoneKind.REPORT.value): ("bao_cao", "bao_cao_ket_qua"),
    ("MilestoneKind", MilestoneKind.NOMINATION.value): (
        "ho_so",
        "ho_so_khen_thuong",
        "de_nghi_khen_thuong",
        "khen_thuong",
    ),
    ("MilestoneKind", MilestoneKind.REVIEW.value): ("so_ket",),
    ("MilestoneKind", MilestoneKind.SUMMARY.value): ("tong_ket",),
    ("MilestoneKind", MilestoneKind.CUSTOM.value): ("khac",),
    ("MilestoneKind", MilestoneKind.REGISTRATION.value): ("dang_ky", "dang_ky_thi_dua"),
    ("Requirement", Requirement.REGISTRATION.value): ("dang_ky", "dang_ky_thi_dua"),
    ("Requirement", Requirement.NONE.value): ("khong",),
    ("Requirement", Requirement.IMPLEMENTING_PLAN.value): ("ke_hoach",),
    ("Requirement", Requirement.REPORT.value): ("bao_cao",),
    ("Requirement", Requirement.TARGET_FIGURES.value): ("so_lieu", "chi_tieu"),
    ("Requirement", Requirement.NOMINATION_DOSSIER.value): ("ho_so", "ho_so_khen_thuong"),
    ("DeadlineRule", DeadlineRule.NEXT_WORKING_DAY.value): (
        "ngay_lam_viec_ke_tiep",
        "dieu_148",
        "theo_luat",
    ),
    ("DeadlineRule", DeadlineRule.PREVIOUS_WORKING_DAY.value): ("ngay_lam_viec_truoc",),
    ("DeadlineRule", DeadlineRule.AS_WRITTEN.value): ("theo_van_ban", "giu_nguyen"),
}

#: What each milestone kind asks of its audience unless the file says otherwise.
DEFAULT_REQUIREMENT: dict[MilestoneKind, Requirement] = {
    MilestoneKind.LAUNCH: Requirement.NONE,
    MilestoneKind.IMPLEMENTING_PLAN: Requirement.IMPLEMENTING_PLAN,
    MilestoneKind.REPORT: Requirement.REPORT,
    MilestoneKind.NOMINATION: Requirement.NOMINATION_DOSSIER,
    MilestoneKind.REVIEW: Requirement.REPORT,
    MilestoneKind.SUMMARY: Requirement.REPORT,
    MilestoneKind.CUSTOM: Requirement.NONE,
    MilestoneKind.REGISTRATION: Requirement.REGISTRATION,
}
