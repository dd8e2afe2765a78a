"""Bad input: a recurrence with a period that does not exist and a participant code
written without its dash. The yearless “15/12” of the repeated milestone is right
for a recurrence: it must not be reported as “missing its year” because the
recurrence was wrong; the accepted periods are listed in Vietnamese."""

from thidua import Campaign, Milestone, Participants, Recurrence

campaign = Campaign(
    code="99/KH-KHOLOI",
    title="Đợt thi đua mẫu của kho lỗi",
    issuer="UBND tỉnh",
    issued="ngày 02/3/2026",
    period="Từ ngày 01/3/2026 đến ngày 31/12/2027",
    organizer="BTDKT",
    registry="../valid/units.yaml",
    participants=Participants(groups=["KHOI-A"], units=["XA1"]),
    milestones=[
        Milestone(kind="phát động", when="ngày 02/3/2026"),
        Milestone(
            kind="báo cáo",
            id="bao-cao-nam",
            when="15/12",
            recurrence=Recurrence(every="mỗi thế kỷ"),
        ),
    ],
)
