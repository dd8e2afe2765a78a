"""Bad input: `document_type="Chỉ thị"` is not a field; it must not be answered with
“did you mean `document`?” (a file path), and a misspelt `milestone` still is."""

from thidua import Campaign, Milestone, Participants

campaign = Campaign(
    code="99/KH-KHOLOI",
    title="Đợt thi đua mẫu của kho lỗi",
    issuer="UBND tỉnh",
    issued="ngày 02/3/2026",
    period="Từ ngày 01/3/2026 đến ngày 30/6/2026",
    organizer="BTDKT",
    registry="../valid/units.yaml",
    document_type="Chỉ thị",
    participants=Participants(groups=["KHOI-A", "CUM-X"]),
    milestones=[
        Milestone(kind="phát động", when="ngày 02/3/2026"),
        Milestone(kind="báo cáo", id="bao-cao", when="chậm nhất ngày 15/6/2026", audiense="organizer"),
    ],
)
