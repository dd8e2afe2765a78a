"""VÍ DỤ (không phải văn bản thật): phong trào thi đua năm 2027 của UBND tỉnh.

Dựng theo các kế hoạch hằng năm: phát động đầu năm, đơn vị gửi kế hoạch triển khai,
sơ kết 6 tháng, tổng kết cuối năm, hồ sơ khen thưởng với số lượng theo đơn vị (như Kế
hoạch năm 2023: 01 đơn vị, 02 cho Sở GD&ĐT và Sở Y tế). Số hiệu “VD-02/KH-UBND” là mã ví dụ;
chiến dịch còn hiệu lực để `thidua serve` có sẵn các hoạt động sắp tới trên giao diện.
"""

from thidua import Award, Campaign, Escalation, Milestone, Participants, Quota

campaign = Campaign(
    code="VD-02/KH-UBND",
    title="Phát động phong trào thi đua năm 2027",
    issuer="Ủy ban nhân dân tỉnh Cao Bằng",
    signer="Chủ tịch Lê Hải Hòa",
    issued="ngày 15/01/2027",
    kind="thường xuyên",
    period="năm 2027",
    organizer="BTDKT",
    contact="Ban Thi đua - Khen thưởng, Sở Nội vụ tỉnh Cao Bằng",
    participants=Participants(groups=["SO-BAN-NGANH", "XA-PHUONG"]),
    contents=[
        "Thi đua hoàn thành toàn diện các chỉ tiêu phát triển kinh tế - xã hội năm 2027",
        "Thi đua cải cách hành chính, chuyển đổi số, nâng cao chất lượng phục vụ Nhân dân",
    ],
    criteria={
        "tập thể": ["Hoàn thành xuất sắc nhiệm vụ năm 2027", "Có mô hình mới, cách làm hay"],
        "cá nhân": ["Hoàn thành xuất sắc nhiệm vụ", "Có sáng kiến được công nhận"],
    },
    awards=[
        Award(
            name="Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
            quota=Quota(per_unit=1, overrides={"SGDDT": 2, "SYT": 2}),
            dossier=[
                "Tờ trình đề nghị khen thưởng",
                "Biên bản xét khen thưởng của Hội đồng thi đua, khen thưởng",
                "Báo cáo thành tích",
            ],
        ),
    ],
    milestones=[
        Milestone(kind="phát động", when="ngày 15/01/2027"),
        Milestone(
            kind="kế hoạch triển khai",
            when="chậm nhất ngày 26/02/2027",
            reminders=[7, 2],
        ),
        Milestone(
            kind="sơ kết",
            title="Gửi báo cáo sơ kết 6 tháng đầu năm 2027",
            when="trước ngày 16/6/2027",
            reminders=[10, 3],
            escalation=Escalation(after="3 ngày làm việc", to="group_head"),
        ),
        Milestone(
            kind="tổng kết",
            title="Gửi báo cáo tổng kết phong trào thi đua năm 2027",
            when="chậm nhất ngày 15/11/2027",
            reminders=[10, 3],
            escalation=Escalation(after="3 ngày làm việc", to="supervisor"),
        ),
        Milestone(
            kind="hồ sơ khen thưởng",
            when="trước ngày 01/12/2027",
            reminders=[7, 3, 1],
        ),
    ],
)
