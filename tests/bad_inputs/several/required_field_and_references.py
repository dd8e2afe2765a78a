"""Bad input: an unreadable period (a required field: the date checks cannot run and
must not report made-up problems) with an unknown organizer, an unknown group and an
audience code written without its dash: the three reference problems still come out."""

from thidua import Award, Campaign, Milestone, Participants, Quota

campaign = Campaign(
    code="99/KH-KHOLOI",
    title="Đợt thi đua mẫu của kho lỗi",
    issuer="UBND tỉnh",
    issued="ngày 02/3/2026",
    period="từ đầu năm đến khi xong",
    organizer="BTDKT-X",
    registry="../valid/units.yaml",
    participants=Participants(groups=["KHOI-A", "CUMX"]),
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
            when="chậm nhất ngày 15/6/2026",
            audience=["SOA", "CUM-X"],
        ),
        Milestone(kind="tổng kết", when="ngày 25/6/2026"),
    ],
)
