"""Kế hoạch 641/KH-UBND ngày 12/3/2026 của UBND tỉnh Cao Bằng.

Phát động Phong trào thi đua “100 ngày đêm quyết tâm thực hiện Kết luận của đồng chí
Tổng Bí thư Tô Lâm làm việc với Ban Chấp hành Đảng bộ tỉnh Cao Bằng”
(bản gốc: shared/seeds/000_*; số hiệu và ngày ban hành theo Kế hoạch 579/KH-SNgV).

Văn bản không ghi hạn nộp báo cáo và hồ sơ khen thưởng: các hạn dưới đây do Văn phòng
UBND tỉnh và Ban Thi đua - Khen thưởng ấn định để theo dõi, đôn đốc (mục VI.2, VI.3).
"""

from thidua import Award, Campaign, Escalation, Milestone, Participants

campaign = Campaign(
    code="641/KH-UBND",
    title=(
        "Phát động Phong trào thi đua “100 ngày đêm quyết tâm thực hiện Kết luận của "
        "đồng chí Tổng Bí thư Tô Lâm làm việc với Ban Chấp hành Đảng bộ tỉnh Cao Bằng”"
    ),
    issuer="Ủy ban nhân dân tỉnh Cao Bằng",
    signer="Chủ tịch Lê Hải Hòa",
    issued="ngày 12/3/2026",
    kind="theo đợt",
    legal_bases=[
        "Thông báo số 10-TB/VPTW ngày 04/02/2026 của Văn phòng Trung ương Đảng",
        "Kế hoạch số 388/KH-UBND ngày 10/02/2026 của UBND tỉnh",
    ],
    period="Thời gian thực hiện từ ngày 10/02/2026 đến ngày 20/5/2026",
    organizer="VP-UBND",
    contact="Văn phòng UBND tỉnh Cao Bằng (theo dõi, tổng hợp); Ban Thi đua - Khen thưởng, Sở Nội vụ",
    participants=Participants(groups=["SO-BAN-NGANH", "XA-PHUONG"]),
    contents=[
        "Thi đua tổ chức quán triệt, triển khai nghiêm túc, hiệu quả Kết luận của đồng chí Tổng Bí thư",
        "Thi đua xác lập mô hình tăng trưởng đặc thù, trong đó “hạnh phúc” được lượng hóa",
        "Thi đua phát triển các ngành kinh tế động lực: kinh tế cửa khẩu, du lịch, dịch vụ",
        "Thi đua phát triển văn hóa - xã hội, nâng cao đời sống Nhân dân",
        "Thi đua thúc đẩy khoa học công nghệ, đổi mới sáng tạo và chuyển đổi số",
        "Thi đua phát triển nguồn nhân lực",
        "Thi đua tổ chức bộ máy, siết chặt kỷ luật công vụ; nền hành chính “kiến tạo - kỷ luật - hiệu quả”",
        "Thi đua bảo đảm quốc phòng, an ninh, đối ngoại và quản lý biên giới",
    ],
    criteria={
        "tập thể": [
            "Hoàn thành đúng tiến độ, bảo đảm chất lượng các nhiệm vụ được giao tại Kế hoạch số 388/KH-UBND",
            "Ban hành Kế hoạch triển khai cụ thể, phù hợp với chức năng, nhiệm vụ; tổ chức thực hiện nghiêm túc",
            "Có giải pháp, cách làm sáng tạo; có mô hình mới hoặc sáng kiến được áp dụng thực tiễn",
            "Thực hiện tốt kỷ luật, kỷ cương hành chính; chế độ thông tin, báo cáo đầy đủ, kịp thời",
        ],
        "cá nhân": [
            "Chủ động, sáng tạo, hoàn thành tốt nhiệm vụ được giao",
            "Có sáng kiến, giải pháp hoặc cách làm hiệu quả",
            "Gương mẫu trong chấp hành kỷ luật, kỷ cương hành chính",
        ],
    },
    awards=[
        Award(name="Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh", nominees=["tập thể", "cá nhân"]),
        Award(name="Giấy khen theo thẩm quyền", nominees=["tập thể", "cá nhân"]),
    ],
    milestones=[
        Milestone(kind="phát động", when="ngày 12/3/2026"),
        Milestone(
            kind="kế hoạch triển khai",
            when="chậm nhất ngày 27/3/2026",  # ấn định: 15 ngày kể từ ngày phát động
            reminders=["3 ngày làm việc", 1],
        ),
        Milestone(
            kind="báo cáo",
            title="Nộp báo cáo kết quả thực hiện Phong trào thi đua",
            when="chậm nhất ngày 25/5/2026",  # ấn định
            reminders=[7, 3, 1],
            escalation=Escalation(after="2 ngày làm việc", to="supervisor"),
        ),
        Milestone(
            kind="hồ sơ khen thưởng",
            audience=["SO-BAN-NGANH", "XA-PHUONG"],
            when="chậm nhất ngày 05/6/2026",  # ấn định; Sở Nội vụ tiếp nhận, thẩm định
            reminders=[7, 3, 1],
        ),
        Milestone(
            kind="tổng kết",
            audience="organizer",
            title="Tổng kết Phong trào thi đua, trình khen thưởng",
            when="tháng 6/2026",
            reminders=[5],
        ),
    ],
)
