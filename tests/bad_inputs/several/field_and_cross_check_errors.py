"""Bad input: four mistakes of four stages — an unknown field (field validation), an
impossible date (date phrase), an unknown participant (registry cross-check) and a
missing attachment (files check): all four must be reported in one pass, each at the
line of its keyword argument."""

from thidua import Award, Campaign, Escalation, Milestone, Participants, Quota

campaign = Campaign(
    code="99/KH-KHOLOI",
    title="Đợt thi đua mẫu của kho lỗi",
    issuer="UBND tỉnh",
    issued="ngày 02/3/2026",
    period="Từ ngày 01/3/2026 đến ngày 30/6/2026",
    organizer="BTDKT",
    registry="../valid/units.yaml",
    participants=Participants(
        groups=["KHOI-A"],
        units=["XA1"],
    ),
    awards=[
        Award(
            name="Bằng khen của Chủ tịch UBND tỉnh",
            nominees=["tập thể", "cá nhân"],
            quota=Quota(per_unit=1, max_ratio="30%"),
        )
    ],
    milestones=[
        Milestone(kind="phát động", when="ngày 02/3/2026"),
        Milestone(
            kind="báo cáo",
            id="bao-cao",
            when="chậm nhất ngày 31/4/2026",
            reminders=[7, "2 ngày làm việc"],
            escalation=Escalation(after="1 ngày làm việc", to="supervisor"),
        ),
        Milestone(
            kind="tổng kết",
            when="ngày 25/6/2026",
            attachments=["de_cuong_khong_co.docx"],
            nguoi_ky="Chủ tịch",
        ),
    ],
)
