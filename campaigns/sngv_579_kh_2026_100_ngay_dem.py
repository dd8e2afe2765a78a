"""Kế hoạch 579/KH-SNgV ngày 20/3/2026 của Sở Ngoại vụ tỉnh Cao Bằng.

Kế hoạch của Sở thực hiện Kế hoạch 641/KH-UBND của UBND tỉnh (kế hoạch cấp trên):
các phòng thuộc Sở lựa chọn tập thể, cá nhân tiêu biểu gửi về Sở (qua Văn phòng)
“trước ngày 25/5/2026”; số lượng khen thưởng không quá 30% (bản gốc: shared/seeds/002_*).
"""

from thidua import Award, Campaign, Milestone, Participants, Quota

campaign = Campaign(
    code="579/KH-SNgV",
    parent="641/KH-UBND",
    title=(
        "Phát động phong trào thi đua “100 ngày đêm quyết tâm thực hiện Kết luận của "
        "đồng chí Tổng Bí thư Tô Lâm làm việc với Ban Chấp hành Đảng bộ tỉnh Cao Bằng”"
    ),
    issuer="Sở Ngoại vụ tỉnh Cao Bằng",
    signer="KT. Giám đốc, Phó Giám đốc Tô Thị Trang",
    issued="ngày 20 tháng 3 năm 2026",
    kind="theo đợt",
    legal_bases=[
        "Kế hoạch số 641/KH-UBND ngày 12/3/2026 của UBND tỉnh Cao Bằng",
        "Kế hoạch số 478/KH-SNgV ngày 10/3/2026 của Sở Ngoại vụ",
        "Kế hoạch số 388/KH-UBND ngày 10/02/2026 của UBND tỉnh Cao Bằng",
    ],
    period="Từ ngày 10/02/2026 đến ngày 20/5/2026",
    organizer="SNGV-VP",
    contact="Văn phòng Sở Ngoại vụ",
    participants=Participants(groups=["SNGV-CAC-PHONG"], exclude=["SNGV-VP"]),
    contents=[
        "Thi đua tổ chức quán triệt, triển khai thực hiện Kết luận của đồng chí Tổng Bí thư",
        "Thi đua nâng cao chất lượng tham mưu công tác đối ngoại",
        "Thi đua cải cách hành chính, chuyển đổi số",
        "Thi đua nâng cao kỷ luật, kỷ cương hành chính",
    ],
    criteria={
        "tập thể": [
            "Hoàn thành đúng tiến độ, bảo đảm chất lượng các nhiệm vụ được giao",
            "Ban hành Kế hoạch triển khai cụ thể; tổ chức thực hiện nghiêm túc, hiệu quả",
            "Có giải pháp, cách làm sáng tạo, hiệu quả",
            "Thực hiện tốt kỷ luật, kỷ cương hành chính; chế độ thông tin, báo cáo kịp thời",
        ],
        "cá nhân": [
            "Hoàn thành tốt nhiệm vụ được giao",
            "Có sáng kiến, giải pháp hoặc cách làm hiệu quả",
            "Gương mẫu chấp hành kỷ luật, kỷ cương hành chính",
        ],
    },
    awards=[
        Award(
            name="Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
            quota=Quota(max_ratio="30%", ratio_of="units_and_headcount"),
        ),
        Award(
            name="Giấy khen của Giám đốc Sở Ngoại vụ",
            quota=Quota(max_ratio="30%", ratio_of="units_and_headcount"),
        ),
    ],
    milestones=[
        Milestone(kind="phát động", when="ngày 20/3/2026"),
        Milestone(
            kind="hồ sơ khen thưởng",
            title="Gửi danh sách tập thể, cá nhân đề nghị khen thưởng về Sở (qua Văn phòng)",
            when="trước ngày 25/5/2026",
            reminders=[7, 3, 1],
        ),
    ],
)
