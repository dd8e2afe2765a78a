"""VÍ DỤ (không phải văn bản thật): Chỉ thị của Chủ tịch Ủy ban nhân dân tỉnh giai đoạn 2026 - 2030.

Dựng theo cách các chỉ thị thật của tỉnh Cao Bằng ghi: một chỉ thị (không phải kế hoạch) của
Chủ tịch Ủy ban nhân dân tỉnh; nhiệm vụ giao cho từng cơ quan (“Sở Nội vụ: hướng dẫn, kiểm tra,
đôn đốc…; Sở Văn hóa, Thể thao và Du lịch: tuyên truyền…”); các sở, ban, ngành và Ủy ban nhân
dân các xã, phường báo cáo định kỳ 6 tháng (trước ngày 15/6) và hằng năm (trước ngày 15/11) về
Ủy ban nhân dân tỉnh qua Sở Nội vụ; sơ kết, tổng kết theo quý. Số hiệu “VD-12/CT-UBND” là mã ví
dụ; loại văn bản (Chỉ thị) được đọc từ ký hiệu “CT”.
"""

from thidua import (
    Award,
    Campaign,
    Escalation,
    Milestone,
    Participants,
    Quota,
    Recurrence,
    Responsibility,
)

campaign = Campaign(
    code="VD-12/CT-UBND",
    title=(
        "Tăng cường công tác thi đua, khen thưởng, đẩy mạnh các phong trào thi đua yêu nước "
        "giai đoạn 2026 - 2030"
    ),
    issuer="Chủ tịch Ủy ban nhân dân tỉnh Cao Bằng",
    signer="Chủ tịch Lê Hải Hòa",
    issued="ngày 15/5/2026",
    kind="thường xuyên",
    period="giai đoạn 2026 - 2030",
    organizer="BTDKT",
    contact="Ban Thi đua - Khen thưởng, Sở Nội vụ tỉnh Cao Bằng",
    participants=Participants(groups=["SO-BAN-NGANH", "XA-PHUONG"]),
    contents=[
        "Đổi mới nội dung, hình thức tổ chức các phong trào thi đua, gắn với nhiệm vụ chính trị "
        "của từng cơ quan, đơn vị, địa phương",
        "Phát hiện, bồi dưỡng, nhân rộng các điển hình tiên tiến; khen thưởng kịp thời, chính xác",
    ],
    awards=[
        Award(
            name="Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
            quota=Quota(per_unit=1, overrides={"SGDDT": 2, "SYT": 2}),
            dossier=["Tờ trình đề nghị khen thưởng", "Báo cáo thành tích"],
        ),
    ],
    responsibilities=[
        Responsibility(
            id="huong-dan",
            units=["SNV"],
            tasks=[
                "Hướng dẫn, kiểm tra, đôn đốc các cơ quan, đơn vị, địa phương thực hiện Chỉ thị",
                "Tổng hợp kết quả thực hiện, định kỳ báo cáo Chủ tịch Ủy ban nhân dân tỉnh",
            ],
        ),
        Responsibility(
            id="tuyen-truyen",
            units=["SVHTTDL", "BPTTH"],
            tasks=[
                "Tuyên truyền sâu rộng các phong trào thi đua, các điển hình tiên tiến, "
                "gương người tốt, việc tốt trên địa bàn tỉnh",
            ],
        ),
        Responsibility(
            units=["STC"],
            tasks=["Bảo đảm kinh phí cho công tác thi đua, khen thưởng theo quy định"],
        ),
        Responsibility(
            units=["SO-BAN-NGANH", "XA-PHUONG"],
            tasks=[
                "Quán triệt, xây dựng kế hoạch triển khai thực hiện Chỉ thị tại cơ quan, đơn vị, "
                "địa phương",
                "Định kỳ 6 tháng, hằng năm báo cáo kết quả thực hiện Chỉ thị",
            ],
        ),
    ],
    milestones=[
        Milestone(kind="phát động", when="ngày 15/5/2026"),
        Milestone(
            kind="kế hoạch triển khai",
            when="chậm nhất ngày 15/6/2026",
            reminders=[7, 2],
        ),
        Milestone(
            kind="báo cáo",
            id="bao-cao-dinh-ky",
            title="Báo cáo kết quả thực hiện Chỉ thị",
            recurrence=Recurrence(every="6 tháng", on=["trước ngày 15/6", "trước ngày 15/11"]),
            recipient="Ủy ban nhân dân tỉnh, qua Sở Nội vụ (Ban Thi đua - Khen thưởng)",
            reminders=[7, 2],
            escalation=Escalation(after="3 ngày làm việc", to="supervisor"),
        ),
        Milestone(
            kind="báo cáo",
            id="tuyen-truyen",
            title="Báo cáo kết quả tuyên truyền các phong trào thi đua",
            charged_with="tuyen-truyen",
            when="trước ngày 15/11",
            recurrence=Recurrence(every="hằng năm"),
            recipient="Sở Nội vụ (Ban Thi đua - Khen thưởng)",
            reminders=[7],
        ),
        Milestone(kind="sơ kết", when="quý IV/2028", reminders=[15, 5]),
        Milestone(kind="tổng kết", when="quý IV/2030", reminders=[15, 5]),
    ],
)
