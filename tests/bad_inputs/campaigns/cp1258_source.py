"""Bad input: saved as Windows-1258."""

from thidua import Award, Campaign, Escalation, Milestone, Participants, Quota

campaign = Campaign(
    code="99/KH-KHOLOI",
    title="Ð?t thi ðua m?u c?a kho l?i",
    issuer="UBND t?nh",
    issued="ngày 02/3/2026",
    period="T? ngày 01/3/2026 ð?n ngày 30/6/2026",
    organizer="BTDKT",
    registry="../valid/units.yaml",
    participants=Participants(groups=["KHOI-A", "CUM-X"]),
    awards=[
        Award(
            name="B?ng khen c?a Ch? t?ch UBND t?nh",
            nominees=["t?p th?", "cá nhân"],
            quota=Quota(per_unit=1, max_ratio="30%"),
        )
    ],
    milestones=[
        Milestone(kind="phát ð?ng", when="ngày 02/3/2026"),
        Milestone(
            kind="báo cáo",
            id="bao-cao",
            when="ch?m nh?t ngày 15/6/2026",
            reminders=[7, "2 ngày làm vi?c"],
            escalation=Escalation(after="1 ngày làm vi?c", to="supervisor"),
        ),
        Milestone(kind="t?ng k?t", when="ngày 25/6/2026"),
    ],
)
