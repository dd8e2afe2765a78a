"""Kế hoạch của UBND tỉnh Cao Bằng năm 2023: thi đua chào mừng 75 năm Ngày Chủ tịch Hồ Chí
Minh ra Lời kêu gọi thi đua ái quốc (11/6/1948 - 11/6/2023) (bản gốc: shared/seeds/003_*).

Bản sao không ghi số hiệu và ngày ban hành: mã “75NAM-TDAQ/KH-UBND” và ngày 20/4/2023 (sau
Quyết định 368/QĐ-TTg ngày 11/4/2023 mà kế hoạch căn cứ) là tạm, cần sửa theo bản ký.
Đơn vị tham gia theo tổ chức hành chính năm 2023 (còn cấp huyện): campaigns/units_2023.yaml.
"""

from thidua import Award, Campaign, Escalation, Milestone, Participants, Quota

campaign = Campaign(
    code="75NAM-TDAQ/KH-UBND",
    title=(
        "Phát động thi đua lập thành tích chào mừng Kỷ niệm 75 năm Ngày Chủ tịch Hồ Chí Minh "
        "ra Lời kêu gọi thi đua ái quốc (11/6/1948 - 11/6/2023)"
    ),
    issuer="Ủy ban nhân dân tỉnh Cao Bằng",
    signer="Chủ tịch Hoàng Xuân Ánh",
    issued="ngày 20/4/2023",
    kind="chuyên đề",
    registry="units_2023.yaml",
    legal_bases=[
        "Quyết định số 368/QĐ-TTg ngày 11/4/2023 của Thủ tướng Chính phủ",
    ],
    period="Tính từ ngày 01/01/2023 đến hết tháng 6 năm 2023",
    organizer="BTDKT",
    contact="Ban Thi đua - Khen thưởng, Sở Nội vụ tỉnh Cao Bằng",
    participants=Participants(groups=["SO-BAN-NGANH", "HUYEN-TP"]),
    contents=[
        "Hoàn thành và hoàn thành vượt mức các chỉ tiêu, nhiệm vụ phát triển kinh tế - xã hội "
        "6 tháng đầu năm 2023",
        "Đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh bằng những việc làm, "
        "hành động cụ thể",
        "Chấp hành nghiêm kỷ luật, kỷ cương hành chính, thực hiện văn hóa và đạo đức công vụ",
    ],
    criteria={
        "tập thể": [
            "Chấp hành tốt chủ trương, đường lối của Đảng, chính sách, pháp luật của Nhà nước",
            "Trong 6 tháng đầu năm 2023 hoàn thành 100% mục tiêu, nhiệm vụ theo kế hoạch "
            "(trong đó có 20% nhiệm vụ hoàn thành vượt chỉ tiêu, kế hoạch)",
            "Tích cực tham gia xây dựng các loại quỹ, hoạt động nhân đạo, từ thiện",
            "Có công trình, phần việc hoặc hoạt động chào mừng Kỷ niệm 75 năm",
        ],
        "cá nhân": [
            "Chấp hành tốt chủ trương, đường lối của Đảng, chính sách, pháp luật của Nhà nước",
            "Gương mẫu đi đầu trong các phong trào thi đua, các cuộc vận động",
            "Đạt thành tích tiêu biểu xuất sắc; trong 6 tháng đầu năm 2023 hoàn thành và hoàn thành "
            "vượt mức các nhiệm vụ được giao",
        ],
        "hộ gia đình": [
            "Gương mẫu chấp hành tốt chủ trương của Đảng, pháp luật của Nhà nước",
            "Sản xuất, kinh doanh hiệu quả, có thu nhập ổn định",
            "Bảo đảm an toàn lao động, vệ sinh môi trường",
            "Tương thân, tương ái; tạo việc làm cho lao động ở địa phương",
        ],
    },
    awards=[
        Award(
            name="Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
            nominees=["tập thể", "cá nhân", "hộ gia đình"],
            # Mỗi đơn vị trong khối, cụm thi đua: 01; huyện, thành phố, Sở GD&ĐT, Sở Y tế: 02.
            quota=Quota(per_unit=1, overrides={"HUYEN-TP": 2, "SGDDT": 2, "SYT": 2}),
            dossier=[
                "Tờ trình đề nghị khen thưởng",
                "Biên bản xét khen thưởng của Hội đồng thi đua, khen thưởng",
                "Báo cáo thành tích (mẫu số 07, Nghị định số 91/2017/NĐ-CP)",
            ],
        ),
        Award(
            name="Giấy khen của Thủ trưởng các cơ quan, đơn vị, địa phương",
            nominees=["tập thể", "cá nhân", "hộ gia đình"],
        ),
    ],
    milestones=[
        Milestone(kind="phát động", when="ngày 20/4/2023"),
        Milestone(
            kind="hồ sơ khen thưởng",
            id="ho-so-bang-khen",
            title="Nộp hồ sơ đề nghị Bằng khen (trực tuyến mức độ 4)",
            when="trong ngày 03 và ngày 04 tháng 7 năm 2023",
            late="refuse",
            # Mục IV.3: mỗi đơn vị trong khối, cụm đề nghị 01 tập thể hoặc 01 cá nhân, nên
            # việc nộp hồ sơ là bắt buộc: vẫn gửi thông báo quá hạn và báo cáo trưởng khối.
            required=True,
            reminders=[7, 3],
            escalation=Escalation(after="1 ngày làm việc", to="group_head"),
        ),
        Milestone(
            kind="báo cáo",
            id="bao-cao-ket-qua",
            title="Báo cáo kết quả đợt thi đua (theo đề cương)",
            when="chậm nhất ngày 10/7/2023",
            reminders=[5, 2],
            attachments=["attachments/de_cuong_bao_cao_75_nam.md"],
        ),
    ],
)
