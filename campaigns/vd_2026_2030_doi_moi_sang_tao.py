"""VÍ DỤ (không phải văn bản thật): phong trào thi đua thường xuyên giai đoạn 2026 - 2030.

Dựng theo cách các kế hoạch thật ghi mốc: phát động, sơ kết, tổng kết chỉ ghi theo quý
(“quý I/2026”, “quý IV/2028”, “quý IV/2030”); báo cáo hằng năm trước ngày 15/12 của mỗi năm;
số liệu chỉ tiêu hằng quý; chỉ tiêu “100% cán bộ có ít nhất 01 sáng kiến/năm”.
Số hiệu “VD-01/KH-UBND” là mã ví dụ.
"""

from thidua import Award, Campaign, Escalation, Milestone, Participants, Quota, Recurrence, Target

campaign = Campaign(
    code="VD-01/KH-UBND",
    title=(
        "Phong trào thi đua “Cán bộ, công chức, viên chức thi đua đổi mới sáng tạo, "
        "chuyển đổi số” giai đoạn 2026 - 2030"
    ),
    issuer="Ủy ban nhân dân tỉnh Cao Bằng",
    signer="Chủ tịch Lê Hải Hòa",
    issued="ngày 05/01/2026",
    kind="thường xuyên",
    period="giai đoạn 2026 - 2030",
    organizer="BTDKT",
    contact="Ban Thi đua - Khen thưởng, Sở Nội vụ tỉnh Cao Bằng",
    participants=Participants(groups=["SO-BAN-NGANH", "XA-PHUONG"]),
    contents=[
        "Mỗi cán bộ, công chức, viên chức có ít nhất 01 sáng kiến, giải pháp được công nhận mỗi năm",
        "Đẩy mạnh chuyển đổi số trong xử lý công việc, cung cấp dịch vụ công trực tuyến",
    ],
    targets=[
        Target(
            code="sang-kien",
            description="100% cán bộ, công chức, viên chức có ít nhất 01 sáng kiến/năm",
            numerator="Số CBCCVC có sáng kiến, giải pháp được công nhận trong năm",
            denominator="Tổng số CBCCVC của đơn vị",
            goal="100%",
            per="year",
        ),
        Target(
            code="dvc-truc-tuyen",
            description="Tỉ lệ hồ sơ thủ tục hành chính giải quyết trực tuyến đạt từ 80% trở lên",
            numerator="Số hồ sơ giải quyết trực tuyến",
            denominator="Tổng số hồ sơ thủ tục hành chính",
            goal="80%",
            per="year",
        ),
    ],
    awards=[
        Award(
            name="Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
            quota=Quota(per_unit=1, overrides={"SGDDT": 2, "SYT": 2}),
            dossier=["Tờ trình đề nghị khen thưởng", "Báo cáo thành tích"],
        ),
    ],
    milestones=[
        Milestone(kind="phát động", when="quý I/2026"),
        Milestone(
            kind="báo cáo",
            id="so-lieu-quy",
            title="Báo cáo số liệu chỉ tiêu",
            submit="số liệu chỉ tiêu",
            when="ngày 20 tháng cuối quý",
            recurrence=Recurrence(every="hằng quý"),
            reminders=["3 ngày làm việc"],
        ),
        Milestone(
            kind="báo cáo",
            id="bao-cao-nam",
            title="Báo cáo kết quả phong trào thi đua",
            when="trước ngày 15/12",
            recurrence=Recurrence(every="hằng năm"),
            reminders=[10, 3],
            escalation=Escalation(after="3 ngày làm việc", to="supervisor"),
        ),
        Milestone(kind="sơ kết", when="quý IV/2028", reminders=[15, 5]),
        Milestone(kind="tổng kết", when="quý IV/2030", reminders=[15, 5]),
    ],
)
