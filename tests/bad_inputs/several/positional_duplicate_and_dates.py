"""Bad input: a positional argument, two milestones with the same id, a quota for a
unit that does not exist, an unknown milestone kind and a report due before the
launch: every one reported at once, with its line."""

from thidua import Award, Campaign, Milestone, Participants, Quota

campaign = Campaign(
    code="99/KH-KHOLOI",
    title="Đợt thi đua mẫu của kho lỗi",
    issuer="UBND tỉnh",
    issued="ngày 02/3/2026",
    period="Từ ngày 01/3/2026 đến ngày 30/6/2026",
    organizer="BTDKT",
    registry="../valid/units.yaml",
    participants=Participants(groups=["KHOI-A", "CUM-X"]),
    awards=[
        Award(
            name="Bằng khen của Chủ tịch UBND tỉnh",
            nominees=["tập thể", "cá nhân"],
            quota=Quota(
                per_unit=1,
                overrides={"SO-Z": 2},
            ),
        )
    ],
    milestones=[
        Milestone(kind="phát động", when="ngày 05/3/2026"),
        Milestone(kind="báo cáo", id="bao-cao", when="chậm nhất ngày 03/3/2026"),
        Milestone(kind="báo cáo", id="bao-cao", when="chậm nhất ngày 15/6/2026"),
        Milestone(kind="hội nghị", when="ngày 20/6/2026"),
        Milestone("tổng kết", when="ngày 25/6/2026"),
    ],
)
