"""Bad input: mistakes in every part at once — an impossible issue date (a required field),
an unknown unit kind, a bad nominee, a negative quota override, a target code written
as a title and a zero goal, a reminder that is no duration, an audience code and an
escalation code that do not exist, and a sơ kết after the period. All ten come out,
each at its line; the sơ kết is still checked although the issue date is wrong."""

from thidua import Award, Campaign, Escalation, Milestone, Participants, Quota, Target

campaign = Campaign(
    code="12/KH-TEST",
    title="Đợt thi đua thử nghiệm",
    issuer="UBND tỉnh",
    issued="ngày 31/2/2026",
    period="Từ ngày 01/3/2026 đến ngày 30/6/2026",
    organizer="BTDKT",
    registry="../valid/units.yaml",
    participants=Participants(groups=["KHOI-A"], kinds=["bệnh viện"]),
    awards=[
        Award(
            name="Bằng khen",
            nominees=["tập thể", "tổ chức"],
            quota=Quota(per_unit=1, overrides={"SOA": 2, "SO-B": -1}),
        )
    ],
    targets=[Target(code="Sáng kiến", description="x", numerator="n", goal=0)],
    milestones=[
        Milestone(kind="phát động", when="ngày 02/3/2026"),
        Milestone(
            kind="báo cáo",
            when="chậm nhất ngày 01/7/2026",
            reminders=["mai"],
            audience=["SO-A", "XA"],
        ),
        Milestone(kind="sơ kết", when="ngày 10/8/2026", escalation=Escalation(after=2, to="BTDK")),
    ],
)
